import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outsideRoots, verifyBuildClaim } from './verify-build-claim.js';

const BASE_HISTORY = ['/bin/sh -c #(nop) ADD file:aa in / ', '/bin/sh -c #(nop)  CMD ["sh"]'];
const BASE_REFS = ['docker.io/library/busy:1', 'docker.io/library/busy:1.2'];

const APP = 'ARG V=1\nFROM busy:1\nARG MODE\nRUN echo $MODE > /mode\nCOPY . /app\nCMD ["sh"]\n';
// As the Engine 20.10 classic builder writes a build of APP with MODE=prod.
const APP_HISTORY = [
  ...BASE_HISTORY,
  '/bin/sh -c #(nop)  ARG MODE',
  '|1 MODE=prod /bin/sh -c echo $MODE > /mode',
  '/bin/sh -c #(nop) COPY dir:bb in /app ',
  '/bin/sh -c #(nop)  CMD ["sh"]',
];

const claim = (text: string | null, extra: Partial<Parameters<typeof verifyBuildClaim>[0]> = {}) => ({
  text,
  dockerfile: '/src/app/Dockerfile',
  context: '/src/app',
  buildArgs: { MODE: 'prod' },
  target: null,
  ...extra,
});
const image = (ownHistory: readonly string[] | null, extra: Partial<Parameters<typeof verifyBuildClaim>[1]> = {}) => ({
  ownHistory,
  baseHistory: BASE_HISTORY,
  baseRefs: BASE_REFS,
  baseDigest: null,
  ...extra,
});

describe('verifyBuildClaim', () => {
  it('accepts the Dockerfile the image was built from, on the base its FROM names', () => {
    assert.deepEqual(verifyBuildClaim(claim(APP), image(APP_HISTORY)), { ok: true });
  });

  it('accepts the base labels a rebuild stamps after the Dockerfile\'s own steps (classic builder)', () => {
    const stamped = [...APP_HISTORY, '/bin/sh -c #(nop)  LABEL org.opencontainers.image.base.digest= org.opencontainers.image.base.name=docker.io/library/busy:1'];
    assert.deepEqual(verifyBuildClaim(claim(APP), image(stamped)), { ok: true });
    const other = [...APP_HISTORY, '/bin/sh -c #(nop)  LABEL evil=yes'];
    assert.equal(verifyBuildClaim(claim(APP), image(other)).ok, false, 'any other trailing label is a step the Dockerfile does not have');
  });

  it('refuses a Dockerfile whose steps are not the image\'s (another build naming the same image)', () => {
    const foreign = 'FROM busy:1\nCOPY evil /evil\nCMD ["sh"]\n';
    assert.deepEqual(verifyBuildClaim(claim(foreign), image(APP_HISTORY)), { ok: false, why: 'its history does not match' });
    const changedRun = APP.replace('echo $MODE > /mode', 'echo $MODE > /mode2');
    assert.equal(verifyBuildClaim(claim(changedRun), image(APP_HISTORY)).ok, false);
  });

  it('refuses a Dockerfile built FROM another base, and one whose base is not local', () => {
    const otherBase = APP.replace('FROM busy:1', 'FROM other:1');
    assert.deepEqual(verifyBuildClaim(claim(otherBase), image(APP_HISTORY)), {
      ok: false,
      why: 'its Dockerfile is built FROM docker.io/library/other:1, and the image is not built on that',
    });
    assert.equal(verifyBuildClaim(claim(APP), image(APP_HISTORY, { baseHistory: null })).ok, false);
  });

  it('an image built FROM scratch: its whole history is the Dockerfile\'s', () => {
    const scratch = 'FROM scratch\nCOPY --from=tool:1 /bin/tool /tool\nCMD ["/tool"]\n';
    const history = ['/bin/sh -c #(nop) COPY file:cc in /tool ', '/bin/sh -c #(nop)  CMD ["/tool"]'];
    assert.deepEqual(verifyBuildClaim(claim(scratch), image(history, { baseHistory: null, baseRefs: [] })), { ok: true });
    assert.equal(verifyBuildClaim(claim(scratch), image(APP_HISTORY, { baseHistory: null, baseRefs: [] })).ok, false);
  });

  it('an unreadable Dockerfile or history is no evidence', () => {
    assert.equal(verifyBuildClaim(claim(null), image(APP_HISTORY)).ok, false);
    assert.equal(verifyBuildClaim(claim(APP), image(null)).ok, false);
  });

  it('the target and build args decide which steps and which base', () => {
    const twoStages = 'FROM other:1 AS tools\nRUN make\nFROM busy:1 AS app\nARG MODE\nRUN echo $MODE > /mode\nCOPY . /app\nCMD ["sh"]\nFROM tools AS last\nRUN more\n';
    assert.equal(verifyBuildClaim(claim(twoStages), image(APP_HISTORY)).ok, false, 'the last stage is built by default');
    assert.deepEqual(verifyBuildClaim(claim(twoStages, { target: 'app' }), image(APP_HISTORY)), { ok: true });
    const argFrom = 'ARG B=other\nFROM ${B}:1\nARG MODE\nRUN echo $MODE > /mode\nCOPY . /app\nCMD ["sh"]\n';
    assert.equal(verifyBuildClaim(claim(argFrom), image(APP_HISTORY)).ok, false);
    assert.deepEqual(verifyBuildClaim(claim(argFrom, { buildArgs: { B: 'busy', MODE: 'prod' } }), image(APP_HISTORY)), { ok: true });
  });
});

describe('outsideRoots', () => {
  it('a context or Dockerfile outside every root needs a link', () => {
    assert.equal(outsideRoots({ dockerfile: '/src/app/Dockerfile', context: '/src/app' }, ['/src']), null);
    assert.equal(outsideRoots({ dockerfile: null, context: '/src' }, ['/src']), null);
    assert.equal(outsideRoots({ dockerfile: '/src/app/Dockerfile', context: '/home/me/secrets' }, ['/src']), 'its build context /home/me/secrets is outside the watched folders');
    assert.equal(outsideRoots({ dockerfile: '/elsewhere/Dockerfile', context: '/src/app' }, ['/src']), 'its Dockerfile /elsewhere/Dockerfile is outside the watched folders');
    assert.notEqual(outsideRoots({ dockerfile: '/src2/Dockerfile', context: '/src2' }, ['/src']), null, 'a sibling folder with a common prefix is outside');
  });
});
