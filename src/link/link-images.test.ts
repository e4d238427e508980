import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkImages } from './link-images.js';
import { type BuildHint, type HistoryStep, type LinkableImage, imagesNeedingHistory } from '../inventory/local-image.js';

// Readable names for fake digests, mapped onto hex so they parse as real ones.
const HEX: Record<string, string> = { d: 'd', p: '1', o: '0', n: '2', r: '3', e: 'e' };
const digest = (c: string): string => `sha256:${(HEX[c] ?? c).repeat(64)}`;
const layer = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

function image(id: string, props: Partial<LinkableImage>): LinkableImage {
  return {
    id: `sha256:${id}`,
    repoTags: [],
    repoDigests: [],
    labels: {},
    diffIds: [],
    os: 'linux',
    architecture: 'amd64',
    variant: null,
    ...props,
  };
}

const debian = image('debian', { repoTags: ['debian:12'], repoDigests: [`debian@${digest('d')}`], diffIds: [layer(1)] });
const python = image('python', {
  repoTags: ['python:3.12-slim', 'python:3.12'],
  repoDigests: [`python@${digest('p')}`],
  diffIds: [layer(1), layer(2), layer(3)],
});
const app = image('app', { repoTags: ['app:1', 'app:latest'], diffIds: [layer(1), layer(2), layer(3), layer(4)] });

function linkOne(images: LinkableImage[], name: string, hints: BuildHint[] = [], histories = new Map<string, HistoryStep[]>()) {
  const link = linkImages({ images, hints, histories }).find((l) => l.image.repoTags.includes(name));
  assert.ok(link, `no link for ${name}`);
  return link;
}

describe('linkImages by layers', () => {
  it('picks the longest full layer prefix; a base with several tags and no word on which stays unsettled', () => {
    const link = linkOne([debian, python, app], 'app:1');
    assert.deepEqual(link.base, {
      ref: 'docker.io/library/python:3.12',
      digest: digest('p'),
      via: 'layers',
      latest: null,
      localId: 'sha256:python',
    });
    assert.deepEqual(link.candidates, ['docker.io/library/python:3.12', 'docker.io/library/python:3.12-slim']);
    assert.match(link.problem ?? '', /its base image is tagged python:3\.12 and python:3\.12-slim, and nothing says which tag it was built FROM/);
    assert.match(link.problem ?? '', /basewatch link app:1 <its Dockerfile>/);
  });

  it('prefers the tag the compose Dockerfile uses', () => {
    const hint: BuildHint = {
      via: 'compose',
      copySources: [],
      imageRef: 'docker.io/library/app:1',
      composeFile: '/p/compose.yaml',
      service: 'web',
      context: '/p',
      dockerfile: '/p/Dockerfile',
      target: 'prod',
      args: { A: '1' },
      baseRef: 'docker.io/library/python:3.12-slim',
    };
    const link = linkOne([debian, python, app], 'app:1', [hint]);
    assert.equal(link.base?.ref, 'docker.io/library/python:3.12-slim');
    assert.deepEqual(link.source, {
      dockerfile: '/p/Dockerfile',
      context: '/p',
      target: 'prod',
      compose: '/p/compose.yaml',
      service: 'web',
      args: { A: '1' },
    });
  });

  it('links a base image to the smaller base under it, and leaves the bottom one unlinked', () => {
    assert.equal(linkOne([debian, python, app], 'python:3.12').base?.ref, 'docker.io/library/debian:12');
    const bottom = linkOne([debian, python, app], 'debian:12');
    assert.equal(bottom.base, null);
    assert.match(bottom.problem ?? '', /no base found/);
  });

  it('does not take a partial prefix: a diverging layer breaks the match', () => {
    const other = image('other', { repoTags: ['other:1'], diffIds: [layer(1), layer(9), layer(3), layer(4)] });
    assert.equal(linkOne([debian, python, other], 'other:1').base?.ref, 'docker.io/library/debian:12');
  });

  it('uses an untagged base still known by its RepoDigest and keeps the tag from the build', () => {
    const oldPython = image('oldpython', { repoDigests: [`python@${digest('o')}`], diffIds: [layer(1), layer(7)] });
    const newPython = image('newpython', {
      repoTags: ['python:3.12-slim'],
      repoDigests: [`python@${digest('n')}`],
      diffIds: [layer(1), layer(8)],
    });
    const old = image('app', { repoTags: ['app:1'], diffIds: [layer(1), layer(7), layer(4)] });
    const bare = linkOne([oldPython, newPython, old], 'app:1');
    assert.equal(bare.base?.ref, `docker.io/library/python@${digest('o')}`);
    assert.equal(bare.base?.digest, digest('o'));
    assert.match(bare.problem ?? '', /no longer tagged/);

    const hint: BuildHint = {
      via: 'compose',
      copySources: [],
      imageRef: 'docker.io/library/app:1',
      composeFile: '/c.yaml',
      service: 's',
      context: '/',
      dockerfile: '/Dockerfile',
      target: null,
      args: {},
      baseRef: 'docker.io/library/python:3.12-slim',
    };
    const hinted = linkOne([oldPython, newPython, old], 'app:1', [hint]);
    assert.equal(hinted.base?.ref, 'docker.io/library/python:3.12-slim');
    assert.equal(hinted.base?.digest, digest('o'));
    assert.equal(hinted.base?.localId, 'sha256:oldpython');
  });

  it('names an untagged base by the tag an earlier check saw its digest under', () => {
    const oldPython = image('oldpython', { repoDigests: [`python@${digest('o')}`], diffIds: [layer(1), layer(7)] });
    const newPython = image('newpython', { repoTags: ['python:3.12-slim'], repoDigests: [`python@${digest('n')}`], diffIds: [layer(1), layer(8)] });
    const old = image('app', { repoTags: ['app:1'], diffIds: [layer(1), layer(7), layer(4)] });
    const seenTags = new Map([[`docker.io/library/python@${digest('o')}`, ['docker.io/library/python:3.12-slim']]]);
    const link = linkImages({ images: [oldPython, newPython, old], hints: [], histories: new Map(), seenTags }).find((l) => l.image.id === 'sha256:app');
    assert.equal(link?.base?.ref, 'docker.io/library/python:3.12-slim');
    assert.equal(link?.base?.digest, digest('o'));
    assert.equal(link?.base?.localId, 'sha256:oldpython');
    assert.match(link?.problem ?? '', /it was docker\.io\/library\/python:3\.12-slim when basewatch last saw it/);
    // Another digest of the repository seen under a tag says nothing about this one.
    const other = new Map([[`docker.io/library/python@${digest('n')}`, ['docker.io/library/python:3.12-slim']]]);
    const unnamed = linkImages({ images: [oldPython, newPython, old], hints: [], histories: new Map(), seenTags: other }).find((l) => l.image.id === 'sha256:app');
    assert.equal(unnamed?.base?.ref, `docker.io/library/python@${digest('o')}`);
  });

  it('Podman: a base left with no name at all is named by the RepoDigest an earlier check recorded for its id', () => {
    const oldPython = image('oldpython', { diffIds: [layer(1), layer(7)] });
    const newPython = image('newpython', { repoTags: ['python:3.12-slim'], repoDigests: [`python@${digest('n')}`], diffIds: [layer(1), layer(8)] });
    const old = image('app', { repoTags: ['app:1'], diffIds: [layer(1), layer(7), layer(4)] });
    const seenTags = new Map([
      ['sha256:oldpython', [`docker.io/library/python@${digest('o')}`]],
      [`docker.io/library/python@${digest('o')}`, ['docker.io/library/python:3.12-slim']],
    ]);
    const link = linkImages({ images: [oldPython, newPython, old], hints: [], histories: new Map(), seenTags }).find((l) => l.image.id === 'sha256:app');
    assert.equal(link?.base?.ref, 'docker.io/library/python:3.12-slim');
    assert.equal(link?.base?.digest, digest('o'));
    assert.equal(link?.base?.localId, 'sha256:oldpython');
    // Without the record, nothing names it: it is no one's base.
    const unrecorded = linkImages({ images: [oldPython, newPython, old], hints: [], histories: new Map(), seenTags: new Map() }).find((l) => l.image.id === 'sha256:app');
    assert.notEqual(unrecorded?.base?.localId, 'sha256:oldpython');
  });

  it('needs history to link images with identical layers, and then links the right way round', () => {
    const base = image('b', { repoTags: ['base:1'], diffIds: [layer(1)] });
    const envOnly = image('e', { repoTags: ['envonly:1'], diffIds: [layer(1)] });
    assert.deepEqual(imagesNeedingHistory([base, envOnly]).sort(), ['sha256:b', 'sha256:e']);
    assert.equal(linkOne([base, envOnly], 'envonly:1').base, null);

    const step = (createdBy: string, created: number): HistoryStep => ({ createdBy, created });
    const histories = new Map<string, HistoryStep[]>([
      ['sha256:b', [step('import', 1)]],
      ['sha256:e', [step('import', 1), step('ENV A=1', 2)]],
    ]);
    assert.equal(linkOne([base, envOnly], 'envonly:1', [], histories).base?.ref, 'docker.io/library/base:1');
    assert.equal(linkOne([base, envOnly], 'base:1', [], histories).base, null);
  });

  it('asks for the history of an image built on a tied layer list, and prefers a pulled base', () => {
    const base = image('b', { repoTags: ['base:1'], repoDigests: [`base@${digest('d')}`], diffIds: [layer(1)] });
    const noop = image('n', { repoTags: ['noop:1'], diffIds: [layer(1)] });
    const app = image('a', { repoTags: ['app:1'], diffIds: [layer(1), layer(2)] });
    assert.deepEqual(imagesNeedingHistory([base, noop, app]).sort(), ['sha256:a', 'sha256:b', 'sha256:n']);
    const link = linkOne([base, noop, app], 'app:1');
    assert.equal(link.base?.ref, 'docker.io/library/base:1', 'the pulled image, not the locally built one');
    assert.equal(link.problem, null);
  });

  it('breaks a tie between same-layer candidates with history and reports a remaining tie', () => {
    const a = image('a', { repoTags: ['a:1'], diffIds: [layer(1)] });
    const b = image('b', { repoTags: ['b:1'], diffIds: [layer(1)] });
    const top = image('t', { repoTags: ['top:1'], diffIds: [layer(1), layer(2)] });
    const tie = linkOne([a, b, top], 'top:1');
    assert.equal(tie.base?.ref, 'docker.io/library/a:1');
    assert.match(tie.problem ?? '', /layers match b:1 equally well/);

    const histories = new Map<string, HistoryStep[]>([
      ['sha256:a', [{ createdBy: 'x', created: 1 }]],
      ['sha256:b', [{ createdBy: 'y', created: 1 }]],
      ['sha256:t', [{ createdBy: 'y', created: 1 }, { createdBy: 'COPY', created: 2 }]],
    ]);
    const resolved = linkOne([a, b, top], 'top:1', [], histories);
    assert.equal(resolved.base?.ref, 'docker.io/library/b:1');
    assert.equal(resolved.problem, null);
  });
});

describe('linkImages by labels', () => {
  it('trusts OCI base labels over layers', () => {
    const labelled = image('l', {
      repoTags: ['labelled:1'],
      diffIds: [layer(1), layer(2), layer(3), layer(5)],
      labels: { 'org.opencontainers.image.base.name': 'python:3.12-slim', 'org.opencontainers.image.base.digest': digest('p') },
    });
    const link = linkOne([debian, python, labelled], 'labelled:1');
    assert.deepEqual(link.base, {
      ref: 'docker.io/library/python:3.12-slim',
      digest: digest('p'),
      via: 'label',
      latest: null,
      localId: 'sha256:python',
    });
  });

  describe('a base label with a name and no digest', () => {
    const nameOnly = { 'org.opencontainers.image.base.name': 'python:3.12' };
    // Built on python v1 (layers 1, 2, 3); the user has since pulled v2 under the same tag.
    const built = image('app', { repoTags: ['app:1'], labels: nameOnly, diffIds: [layer(1), layer(2), layer(3), layer(4)] });
    const pulledV2 = image('v2', { repoTags: ['python:3.12'], repoDigests: [`python@${digest('n')}`], diffIds: [layer(1), layer(8)] });

    it('takes the image under the tag when the layers start with it', () => {
      assert.deepEqual(linkOne([debian, python, built], 'app:1').base, {
        ref: 'docker.io/library/python:3.12',
        digest: null,
        via: 'label',
        latest: null,
        localId: 'sha256:python',
      });
      assert.equal(linkOne([debian, python, built], 'app:1').problem, null);
    });

    it('does not take the image a moved tag points to now: the base is known by name only', () => {
      const link = linkOne([debian, pulledV2, built], 'app:1');
      assert.deepEqual(link.base, { ref: 'docker.io/library/python:3.12', digest: null, via: 'label', latest: null, localId: null });
      assert.equal(link.broken, false);
      assert.equal(link.problem, "the local python:3.12 is another image than the one it was built on (its layers do not start with that image's)");
    });

    it('finds the old base by layers when it is still here under the repository, untagged with its RepoDigest', () => {
      const oldV1 = image('v1', { repoDigests: [`python@${digest('o')}`], diffIds: [layer(1), layer(2), layer(3)] });
      const link = linkOne([debian, pulledV2, oldV1, built], 'app:1');
      assert.deepEqual(link.base, { ref: 'docker.io/library/python:3.12', digest: digest('o'), via: 'label', latest: null, localId: 'sha256:v1' });
      assert.match(link.problem ?? '', /another image than the one it was built on .*; linked by layers to v1/);
    });

    it('does not take a layer match from another repository for the label', () => {
      // debian:12 holds layer 1, the bottom of the app: not the python it names.
      const link = linkOne([debian, pulledV2, built], 'app:1');
      assert.equal(link.base?.localId, null);
      const away = linkOne([debian, built], 'app:1');
      assert.deepEqual(away.base, { ref: 'docker.io/library/python:3.12', digest: null, via: 'label', latest: null, localId: null });
      assert.equal(away.problem, null, 'no local python:3.12 at all: nothing moved, the check says the digest is unknown');
    });

    it('with equal layers under the tag, a known history that does not start with the tag image’s refuses it', () => {
      const v2SameLayers = image('v2s', { repoTags: ['python:3.12'], diffIds: [layer(1), layer(2), layer(3)] });
      const histories = new Map<string, HistoryStep[]>([
        ['sha256:v2s', [{ createdBy: 'import v2', created: 2 }]],
        ['sha256:app', [{ createdBy: 'import v1', created: 1 }, { createdBy: 'COPY', created: 3 }]],
      ]);
      assert.equal(linkOne([v2SameLayers, built], 'app:1', [], histories).base?.localId, null);
      assert.equal(linkOne([v2SameLayers, built], 'app:1').base?.localId, 'sha256:v2s', 'without histories the layers decide');
    });
  });

  it('reports a base label that is not a reference', () => {
    const bad = image('x', { repoTags: ['bad:1'], labels: { 'org.opencontainers.image.base.name': 'Not A Ref' } });
    const link = linkOne([bad], 'bad:1');
    assert.equal(link.base, null);
    assert.equal(link.broken, true);
    assert.match(link.problem ?? '', /org\.opencontainers\.image\.base\.name is not a valid reference/);
  });

  it('reads buildpacks lifecycle metadata', () => {
    const metadata = JSON.stringify({
      runImage: { topLayer: layer(2), reference: `index.docker.io/paketobuildpacks/run@${digest('r')}`, image: 'paketobuildpacks/run:base-cnb' },
    });
    const bp = image('bp', { repoTags: ['bp:1'], labels: { 'io.buildpacks.lifecycle.metadata': metadata } });
    assert.deepEqual(linkOne([bp], 'bp:1').base, {
      ref: 'docker.io/paketobuildpacks/run:base-cnb',
      digest: digest('r'),
      via: 'buildpacks',
      latest: null,
      localId: null,
    });
    const broken = image('bb', { repoTags: ['bb:1'], labels: { 'io.buildpacks.lifecycle.metadata': '{nope' } });
    assert.match(linkOne([broken], 'bb:1').problem ?? '', /not valid JSON/);
  });
});

describe('linkImages by compose', () => {
  it('falls back to the Dockerfile base of the compose service, keeping a pinned digest', () => {
    const lone = image('lone', { repoTags: ['proj-web:latest'], diffIds: [layer(42)] });
    const hint: BuildHint = {
      via: 'compose',
      copySources: [],
      imageRef: 'docker.io/library/proj-web:latest',
      composeFile: '/p/compose.yaml',
      service: 'web',
      context: '/p',
      dockerfile: '/p/Dockerfile',
      target: null,
      args: {},
      baseRef: `docker.io/library/node:22@${digest('e')}`,
    };
    const link = linkOne([lone], 'proj-web:latest', [hint]);
    assert.deepEqual(link.base, { ref: 'docker.io/library/node:22', digest: digest('e'), via: 'compose', latest: null, localId: null, pinned: digest('e') });
    assert.equal(link.source?.service, 'web');
  });
});
