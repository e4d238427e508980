// `basewatch update` against the real engine and registry: one cycle acting per policy, and
// each guard (minimumAge, ignore, notify, --dry-run, smokeTest) leaving things alone.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { patchedBase } from './helpers/patched-base.js';
import { MANIFEST_ACCEPT } from './registry-content.js';
import { buildImage, docker, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

interface Cycle {
  actions: Array<{ target: string; kind: string; reason: string; packages: string | null; newImageId: string | null; warnings: string[] }>;
  plan: Array<{ image: string; action: { kind: string }; why: string }>;
  dryRun: boolean;
  report: { images: Array<{ name: string }>; ignored?: Array<{ kind: string; name: string; glob: string }> };
}

/** A literal for a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function idOf(ref: string): Promise<string> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

/** An app on a base that was patched upstream; settings applied in a fresh BASEWATCH_HOME. */
async function outdatedApp(registry: string, settings: Record<string, string>) {
  const base = await patchedBase(registry);
  const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
  const tag = `${uniqueName('upd')}:1`;
  const id = await buildImage({ context: project, tag });
  const home = await makeTempDir('update-home');
  for (const [key, value] of Object.entries(settings)) {
    const set = await runBasewatch(['config', 'set', key, value], { home });
    assert.equal(set.code, 0, set.stderr);
  }
  return { base, project, tag, id, home };
}

async function update(home: string, args: string[]): Promise<{ code: number | null; cycle: Cycle; stdout: string }> {
  const result = await runBasewatch(['update', '--json', ...args], { home });
  try {
    return { code: result.code, cycle: JSON.parse(result.stdout) as Cycle, stdout: result.stdout };
  } catch {
    return assert.fail(`update printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

describe('basewatch update (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('rebases an outdated image under the default policy once minimumAge allows', async () => {
    const app = await outdatedApp(registry, { minimumAge: '0' });
    const { code, cycle } = await update(app.home, ['--root', app.project, app.tag]);
    assert.equal(code, 0, JSON.stringify(cycle.actions));
    assert.equal(cycle.actions.length, 1);
    assert.equal(cycle.actions[0]?.kind, 'rebased');
    assert.match(cycle.actions[0]?.packages ?? '', /openssl/);
    assert.equal(await idOf(app.tag), cycle.actions[0]?.newImageId);
    assert.equal(await docker(['run', '--rm', app.tag, 'cat', '/etc/base-version']), 'v2\n');
  });

  for (const [guard, settings, args, expectedWhy] of [
    ['minimumAge', { minimumAge: '1h' }, [], /waiting until it is 1 h old \(minimumAge, .* to go\); to act now: basewatch rebase \S+, or basewatch config set minimumAge 0/],
    // Ignored: out of the plan altogether (the scope rule), only counted in the report.
    ['ignore', { minimumAge: '0', ignore: 'upd-*' }, [], null],
    ['the notify policy', { minimumAge: '0', policy: 'notify' }, [], /default policy notify/],
    ['--dry-run', { minimumAge: '0' }, ['--dry-run'], /default policy auto/],
  ] as const) {
    it(`leaves the image alone under ${guard}`, async () => {
      const app = await outdatedApp(registry, settings);
      const { code, cycle, stdout } = await update(app.home, ['--root', app.project, ...args, app.tag]);
      assert.equal(code, 0, stdout);
      assert.equal(await idOf(app.tag), app.id, 'the tag did not move');
      const entry = cycle.plan.find((p) => p.image === app.tag);
      if (expectedWhy === null) {
        assert.equal(entry, undefined, JSON.stringify(cycle.plan));
        assert.ok(!cycle.report.images.some((image) => image.name === app.tag), 'not in the report');
        assert.deepEqual(cycle.report.ignored?.map((item) => [item.kind, item.name, item.glob]), [['image', app.tag, 'upd-*']]);
      } else {
        assert.ok(entry, JSON.stringify(cycle.plan));
        assert.match(entry.why, expectedWhy, JSON.stringify(cycle.plan));
      }
      assert.ok(!cycle.actions.some((a) => a.kind === 'rebased' || a.kind === 'rebuilt'));
      await assert.rejects(docker(['image', 'inspect', app.base.newBaseId]), 'nothing was pulled');
      if (guard === '--dry-run') {
        const human = await runBasewatch(['update', '--dry-run', '--root', app.project, app.tag], { home: app.home });
        assert.match(human.stdout, /Plan \(dry run: nothing was changed\)/);
        assert.match(human.stdout, new RegExp(`${app.tag.replace(/[.:]/g, '\\$&')}\\s.*rebase \\(report if not safe\\)`));
      }
    });
  }

  it('on a compose project, rebases one service, rebuilds the other with its args and target, pulling the base once', async () => {
    const world = getWorld();
    assert.ok(world);
    const base = await patchedBase(registry);
    const web = `${uniqueName('shop-web')}:1`;
    const worker = `${uniqueName('shop-worker')}:1`;
    const project = await writeProject({
      'compose.yaml': [
        'services:',
        '  web:',
        `    image: ${web}`,
        '    build: ./web',
        '  worker:',
        `    image: ${worker}`,
        '    build:',
        '      context: ./worker',
        '      target: runtime',
        '      args:',
        '        FLAVOUR: ${FLAVOUR:-fast}',
        '',
      ].join('\n'),
      'web/Dockerfile': `FROM ${base.baseRef}\nCOPY index.html /srv/index.html\n`,
      'web/index.html': '<h1>shop</h1>\n',
      // A package install: not rebaseable, so auto rebuilds it.
      'worker/Dockerfile': [
        `FROM ${base.baseRef} AS runtime`,
        'ARG FLAVOUR=slow',
        'RUN printf "Package: worker-deps\\nStatus: install ok installed\\nVersion: 1\\n\\n" >> /var/lib/dpkg/status && echo "$FLAVOUR" > /flavour',
        'FROM runtime AS debug',
        'RUN echo debug > /debug',
        '',
      ].join('\n'),
    });
    const webId = await buildImage({ context: path.join(project, 'web'), tag: web });
    const workerId = await buildImage({ context: path.join(project, 'worker'), tag: worker, target: 'runtime', buildArgs: { FLAVOUR: 'fast' } });
    const home = await makeTempDir('update-compose');
    await runBasewatch(['config', 'set', 'minimumAge', '0'], { home });
    const logBefore = await readFile(path.join(world.dir, 'registry.log'), 'utf8');

    const { code, cycle, stdout } = await update(home, ['--root', project, web, worker]);
    assert.equal(code, 0, stdout);
    const byTarget = new Map(cycle.actions.map((action) => [action.target, action]));
    assert.equal(byTarget.get(web)?.kind, 'rebased', JSON.stringify(cycle.actions));
    assert.equal(byTarget.get(worker)?.kind, 'rebuilt', JSON.stringify(cycle.actions));
    assert.match(byTarget.get(worker)?.reason ?? '', /not rebaseable \(layer 2 writes \/var\/lib\/dpkg\/status \(a package install\)/);
    assert.notEqual(await idOf(web), webId);
    assert.notEqual(await idOf(worker), workerId);
    for (const tag of [web, worker]) assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v2\n', tag);
    assert.equal(await docker(['run', '--rm', worker, 'cat', '/flavour']), 'fast\n', 'the compose build arg');
    await assert.rejects(docker(['run', '--rm', worker, 'cat', '/debug']), 'the runtime target, not the last stage');

    // The new base's layer came from the registry once, for both images.
    const manifest = (await (await fetch(`http://${registry}/v2/${base.baseRef.slice(registry.length + 1).replace(/:[^:]*$/, '')}/manifests/${base.newDigest}`, {
      headers: { Accept: MANIFEST_ACCEPT },
    })).json()) as { layers: Array<{ digest: string }> };
    const layer = manifest.layers[0]?.digest ?? '';
    const log = (await readFile(path.join(world.dir, 'registry.log'), 'utf8')).slice(logBefore.length);
    const downloads = log.split('\n').filter((line) => line.includes(`"GET /v2/`) && line.includes(`/blobs/${layer}`)).length;
    assert.equal(downloads, 1, `the base layer was downloaded ${downloads} times`);
  });

  it('reports a failing rebuild with the build error, leaves that image alone, and goes on with the others', async () => {
    const base = await patchedBase(registry);
    // Builds on v1, fails on the patched v2: a RUN that breaks on the new base.
    const brittle = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nRUN grep -q v1 /etc/base-version\n` });
    const steady = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
    const brittleTag = `${uniqueName('brittle')}:1`;
    const steadyTag = `${uniqueName('steady')}:1`;
    const brittleId = await buildImage({ context: brittle, tag: brittleTag });
    await buildImage({ context: steady, tag: steadyTag });
    const home = await makeTempDir('update-failing');
    await runBasewatch(['config', 'set', 'minimumAge', '0'], { home });
    await runBasewatch(['config', 'set', 'policies', JSON.stringify([{ image: 'brittle-*', policy: 'rebuild' }])], { home });
    const link = await runBasewatch(['link', brittleTag, `${brittle}/Dockerfile`], { home });
    assert.equal(link.code, 0, link.stderr);

    const { code, cycle } = await update(home, ['--root', steady, brittleTag, steadyTag]);
    assert.equal(code, 7, 'exit 7: an action failed');
    const failed = cycle.actions.find((action) => action.target === brittleTag);
    assert.equal(failed?.kind, 'failed');
    assert.match(failed?.reason ?? '', /returned a non-zero code: 1/);
    assert.equal(await idOf(brittleTag), brittleId, 'the old image stays on its tag');
    assert.equal(cycle.actions.find((action) => action.target === steadyTag)?.kind, 'rebased', JSON.stringify(cycle.plan));
  });

  it('tells what the rebuild warned: the Dockerfile now builds on another base than the plan approved', async () => {
    const base = await patchedBase(registry);
    const otherRef = `${registry}/${uniqueName('other')}:1`;
    await makeBaseImage({ ref: otherRef, files: { '/etc/base-version': 'other\n' } });
    await pushImage(otherRef);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
    const tag = `${uniqueName('moved')}:1`;
    const oldId = await buildImage({ context: project, tag });
    const home = await makeTempDir('update-warnings');
    for (const [key, value] of [['minimumAge', '0'], ['policy', 'rebuild']] as const) {
      const set = await runBasewatch(['config', 'set', key, value], { home });
      assert.equal(set.code, 0, set.stderr);
    }
    const link = await runBasewatch(['link', tag, path.join(project, 'Dockerfile')], { home });
    assert.equal(link.code, 0, link.stderr);
    // The image is still on the old base, which upstream patched; its Dockerfile has moved to another base since.
    await writeFile(path.join(project, 'Dockerfile'), `FROM ${otherRef}\nCOPY a.txt /a.txt\n`);
    const warned = new RegExp(`^the plan approved ${escape(base.baseRef)}@${base.newDigest}, but the Dockerfile now builds on ${escape(otherRef)}; built on that as its tag is now$`);

    const { code, cycle } = await update(home, ['--root', project, tag]);
    assert.equal(code, 0, JSON.stringify(cycle.actions));
    const rebuilt = cycle.actions.find((action) => action.target === tag);
    assert.equal(rebuilt?.kind, 'rebuilt', JSON.stringify(cycle.actions));
    assert.ok(Array.isArray(rebuilt.warnings), JSON.stringify(rebuilt));
    assert.equal(rebuilt.warnings.length, 1, JSON.stringify(rebuilt));
    assert.match(rebuilt.warnings[0] ?? '', warned);
    assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'other\n');

    // The same, as a person reads it (the tag back on the old image, so there is work again).
    await docker(['tag', oldId, tag]);
    const human = await runBasewatch(['update', '--root', project, tag], { home });
    assert.equal(human.code, 0, human.stdout);
    const lines = human.stdout.split('\n');
    const at = lines.findIndex((line) => line.startsWith(`rebuilt  ${tag}: `));
    assert.ok(at >= 0, human.stdout);
    assert.match(lines[at + 1] ?? '', new RegExp(`^    warning: ${warned.source.slice(1)}`));
  });

  it('flags a digest pin behind its tag, and policy pin moves it in the file, touching nothing else', async () => {
    const baseRef = `${registry}/${uniqueName('pinned')}:1`;
    await makeBaseImage({ ref: baseRef, files: { '/etc/v': '1\n' } });
    const oldDigest = await pushImage(baseRef);
    const text = `# keep this comment\r\nFROM ${baseRef}@${oldDigest} AS app\r\nRUN true\r\n`;
    const project = await writeProject({ Dockerfile: text });
    await makeBaseImage({ ref: baseRef, files: { '/etc/v': '2\n' } });
    const newDigest = await pushImage(baseRef);
    const home = await makeTempDir('update-pin');
    await runBasewatch(['config', 'set', 'policy', 'pin'], { home });

    const checked = await runBasewatch(['check', '--json', '--root', project, uniqueName('none')], { home });
    const base = (JSON.parse(checked.stdout) as { dockerfiles: Array<{ bases: Array<{ status: string; pinned: string; latest: string }> }> }).dockerfiles[0]?.bases[0];
    assert.equal(base?.status, 'outdated');
    assert.equal(base?.pinned, oldDigest);
    assert.equal(base?.latest, newDigest);

    // Naming an image that does not exist keeps the shared engine's other images out of the cycle;
    // the name matching nothing is said with exit 4 (done, but an input was wrong), the file is still pinned.
    const { code, cycle } = await update(home, ['--root', project, uniqueName('none')]);
    assert.equal(code, 4, JSON.stringify(cycle.actions));
    const pinned = cycle.actions.find((action) => action.kind === 'pinned');
    assert.ok(pinned, JSON.stringify(cycle.actions));
    assert.equal(pinned.target, path.join(project, 'Dockerfile'));
    assert.equal(await readFile(path.join(project, 'Dockerfile'), 'utf8'), text.replace(oldDigest, newDigest));
  });

  it('keeps the tags where they were when the smoke test fails', async () => {
    const app = await outdatedApp(registry, { minimumAge: '0', smokeTest: 'grep -q v1 /etc/base-version' });
    const { code, cycle } = await update(app.home, ['--root', app.project, app.tag]);
    assert.equal(code, 7);
    assert.equal(cycle.actions[0]?.kind, 'failed');
    assert.match(cycle.actions[0]?.reason ?? '', /the smoke test `grep -q v1 \/etc\/base-version` exited 1/);
    assert.equal(await idOf(app.tag), app.id);
    assert.equal(await docker(['run', '--rm', app.tag, 'cat', '/etc/base-version']), 'v1\n');
  });

  it('refuses a bad setting by name and form, changing nothing', async () => {
    const home = await makeTempDir('update-config');
    const bad = await runBasewatch(['config', 'set', 'minimumAge', 'soon'], { home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /minimumAge: expected a duration such as 0, 30m, 1h or 2d \(got "soon"\)/);
    const shown = await runBasewatch(['config', 'get', 'minimumAge'], { home });
    assert.equal(shown.stdout, '1h\n');
  });
});
