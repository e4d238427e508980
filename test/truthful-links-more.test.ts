// Truthful links, continued (issue 11, and issue 17's first point): more scenarios against the
// real engine and registry, each with its negative. See test/truthful-links.test.ts for the first
// table; a registry that hangs (rule 9) is test/registry-failures.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { askDaemon } from '../src/daemon/control-client.js';
import type { CycleResult } from '../src/record/cycle-result.js';
import { type Daemon, daemonHome, killDaemon, runtimeOf, startDaemon, waitFor, waitUntilIdle } from './helpers/daemon.js';
import { buildImage, docker, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';
import { type CheckJson, check, idOf, parse, quoted, settings, update } from './helpers/links.js';


describe('truthful links, more scenarios (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  /** `<repo>:1` published and local at v1; with `moved`, upstream republished as v2 (local stays v1). */
  async function published(prefix: string, moved: boolean, files: Record<string, string> = {}): Promise<string> {
    const ref = `${registry}/${uniqueName(prefix)}:1`;
    const v1 = await makeBaseImage({ ref, files: { '/etc/base-version': 'v1\n', '/srv/tool': 'tool v1\n', '/srv/name': `${ref}\n`, ...files } });
    await pushImage(ref);
    if (moved) {
      const v2 = await makeBaseImage({ ref, files: { '/etc/base-version': 'v2\n', '/srv/tool': 'tool v2\n', '/srv/name': `${ref}\n`, ...files } });
      await pushImage(ref);
      await docker(['tag', v1, ref]);
      await docker(['image', 'rm', v2]).catch(() => '');
    }
    return ref;
  }

  describe('compose takeover: a compose service naming an existing image it did not build', () => {
    it('its history does not match: not linked, reported in check and --json, and update under policy auto leaves the image untouched', async () => {
      const base = await published('victim-base', false);
      // A copy source that moved: taken on its word, the service would make the image outdated and rebuilt.
      const src = await published('victim-src', true);
      const victimProject = await writeProject({ Dockerfile: `FROM ${base}\nCOPY v.txt /v.txt\n`, 'v.txt': 'victim\n' });
      const victim = `${uniqueName('victim')}:1`;
      const victimId = await buildImage({ context: victimProject, tag: victim });
      const root = await writeProject({
        Dockerfile: `FROM ${base}\nARG X\nCOPY --from=${src} /srv/tool /tool\nRUN echo "$X" > /x\n`,
        'compose.yaml': `services:\n  evil:\n    image: ${victim}\n    build:\n      context: .\n      args:\n        X: "\${TAKEOVER_VALUE}"\n`,
      });
      const env = { TAKEOVER_VALUE: 'from-the-daemon-environment' };
      const home = await settings({ minimumAge: '0', policy: 'auto' });

      const image = await check(home, root, victim, env);
      assert.equal(image.source, null, JSON.stringify(image.source));
      assert.equal(image.copySources, undefined, 'the service\'s copy sources are not the image\'s');
      assert.equal(image.status, 'current', image.reason);
      assert.deepEqual(image.unlinkedClaims, [{ compose: join(root, 'compose.yaml'), service: 'evil', dockerfile: join(root, 'Dockerfile'), reason: 'its history does not match' }]);
      assert.match(image.reason, new RegExp(`${quoted(join(root, 'compose.yaml'))} \\(service evil\\) claims ${quoted(victim)} but its history does not match; not linked`));
      const text = await runBasewatch(['check', '--root', root, victim], { home, env });
      // The table wraps at 80 columns: read it as one line of words.
      assert.match(text.stdout.replace(/\s+/g, ' '), new RegExp(`claims ${quoted(victim)} but its history does not match; not linked`), text.stdout);

      const dry = await update(home, root, [victim], true, env);
      assert.equal(dry.plan.find((p) => p.image === victim)?.action.kind, 'skip', JSON.stringify(dry.plan));
      const real = await update(home, root, [victim], false, env);
      assert.deepEqual(real.actions.filter((a) => a.target === victim), [], JSON.stringify(real.actions));
      assert.equal(await idOf(victim), victimId, 'the victim image is untouched');
      assert.equal(await docker(['run', '--rm', victim, 'cat', '/v.txt']), 'victim\n');

      // Asked by name, `rebuild` does not build it from that service either.
      const rebuild = await runBasewatch(['rebuild', '--root', root, victim], { home, env });
      assert.notEqual(rebuild.code, 0, rebuild.stdout);
      assert.match(rebuild.stderr + rebuild.stdout, new RegExp(`\\(service evil\\) claims ${quoted(victim)} but its history does not match; not rebuilt from it`));
      assert.equal(await idOf(victim), victimId);
    });

    it('a build context outside the roots needs a link even when the history matches; with `basewatch link` it is rebuilt', async () => {
      // The base moved, and the image's own RUN touches the package database: a rebase is refused,
      // so policy auto falls back to a rebuild, if it knows a Dockerfile.
      const base = await published('outside-base', true);
      const victimProject = await writeProject({ Dockerfile: `FROM ${base}\nRUN echo 'Package: extra' >> /var/lib/dpkg/status\nCOPY v.txt /v.txt\n`, 'v.txt': 'victim\n' });
      const victim = `${uniqueName('outside')}:1`;
      const victimId = await buildImage({ context: victimProject, tag: victim });
      const root = await writeProject({ 'compose.yaml': `services:\n  app:\n    image: ${victim}\n    build:\n      context: ${victimProject}\n` });
      const home = await settings({ minimumAge: '0', policy: 'auto' });

      const image = await check(home, root, victim);
      assert.equal(image.source, null);
      assert.equal(image.status, 'outdated', image.reason);
      assert.equal(image.unlinkedClaims?.[0]?.reason, `its build context ${victimProject} is outside the watched folders`);
      const dry = await update(home, root, [victim], true);
      assert.match(dry.actions.find((a) => a.target === victim)?.reason ?? '', /rebase \(report if not safe\)/, JSON.stringify(dry.actions));
      const real = await update(home, root, [victim], false);
      assert.equal(real.actions.find((a) => a.target === victim)?.kind, 'reported', JSON.stringify(real.actions));
      assert.equal(await idOf(victim), victimId, 'not rebuilt from a context outside the roots');

      // The user's word: the same Dockerfile, linked.
      const linked = await runBasewatch(['link', victim, join(victimProject, 'Dockerfile')], { home });
      assert.equal(linked.code, 0, linked.stderr);
      const relinked = await check(home, root, victim);
      assert.equal(relinked.source?.dockerfile, join(victimProject, 'Dockerfile'));
      assert.equal(relinked.unlinkedClaims, undefined);
      const rebuilt = await update(home, root, [victim], false);
      assert.equal(rebuilt.actions.find((a) => a.target === victim)?.kind, 'rebuilt', JSON.stringify(rebuilt.actions));
      assert.equal(await docker(['run', '--rm', victim, 'cat', '/etc/base-version']), 'v2\n');
    });

    it('negative: the service that did build the image (under the roots, history matching) is its source, and update rebuilds it from there', async () => {
      const base = await published('own-base', false);
      const src = await published('own-src', true);
      const tag = `${uniqueName('own')}:1`;
      const root = await writeProject({
        Dockerfile: `FROM ${base}\nARG X\nCOPY --from=${src} /srv/tool /tool\nRUN echo "$X" > /x\n`,
        'compose.yaml': `services:\n  app:\n    image: ${tag}\n    build:\n      context: .\n      args:\n        X: "one"\n`,
      });
      await buildImage({ context: root, tag, buildArgs: { X: 'one' } });
      const home = await settings({ minimumAge: '0', policy: 'auto' });
      const image = await check(home, root, tag);
      assert.equal(image.source?.service, 'app', JSON.stringify(image));
      assert.equal(image.unlinkedClaims, undefined);
      assert.equal(image.status, 'outdated', image.reason);
      const real = await update(home, root, [tag], false);
      assert.equal(real.actions.find((a) => a.target === tag)?.kind, 'rebuilt', JSON.stringify(real.actions));
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/tool']), 'tool v2\n');
      // Rebuilt by basewatch (its base labels stamped): still its own service's image.
      const after = await check(home, root, tag);
      assert.equal(after.source?.service, 'app', after.reason);
      assert.equal(after.status, 'current', after.reason);
    });
  });

  describe('chains: a full update of three levels', () => {
    /** upstream → corp base → corp mid → app, each with its compose service; with `moved`, upstream republished. */
    async function threeLevels(moved: boolean) {
      const upstream = await published('chain3-up', moved);
      const corp = `${uniqueName('chain3-corp')}:1`;
      const mid = `${uniqueName('chain3-mid')}:1`;
      const app = `${uniqueName('chain3-app')}:1`;
      const project = await writeProject({
        'corp/Dockerfile': `FROM ${upstream}\nCOPY corp.txt /corp.txt\n`,
        'corp/corp.txt': 'corp\n',
        'mid/Dockerfile': `FROM ${corp}\nCOPY mid.txt /mid.txt\n`,
        'mid/mid.txt': 'mid\n',
        'app/Dockerfile': `FROM ${mid}\nCOPY app.txt /app.txt\n`,
        'app/app.txt': 'app\n',
        'compose.yaml': `services:\n  corp:\n    build: ./corp\n    image: ${corp}\n  mid:\n    build: ./mid\n    image: ${mid}\n  app:\n    build: ./app\n    image: ${app}\n`,
      });
      const ids = {
        corp: await buildImage({ context: join(project, 'corp'), tag: corp }),
        mid: await buildImage({ context: join(project, 'mid'), tag: mid }),
        app: await buildImage({ context: join(project, 'app'), tag: app }),
      };
      return { upstream, corp, mid, app, project, ids };
    }

    it('check says each level waits on the one below, update acts base first, and every image ends on the new upstream content', async () => {
      const c = await threeLevels(true);
      const home = await settings({ minimumAge: '0', policy: 'auto' });
      const all = [c.corp, c.mid, c.app];
      const report = parse<CheckJson>(await runBasewatch(['check', '--json', '--root', c.project, ...all], { home }), 'check');
      const status = (tag: string) => report.images.find((image) => image.name === tag);
      assert.deepEqual(all.map((tag) => status(tag)?.status), ['outdated', 'outdated', 'outdated'], JSON.stringify(report.images, null, 1));
      assert.equal(status(c.mid)?.base?.waitsOn, c.corp);
      assert.equal(status(c.app)?.base?.waitsOn, c.mid);
      assert.match(status(c.app)?.reason ?? '', new RegExp(`waits on ${quoted(c.mid)}`));

      const dry = await update(home, c.project, [c.app, c.mid, c.corp], true);
      assert.deepEqual(dry.plan.map((p) => [p.image, p.action.kind]), [[c.corp, 'rebase'], [c.mid, 'rebuild'], [c.app, 'rebuild']], 'chain order, whatever order they were named in');
      const real = await update(home, c.project, [c.app, c.mid, c.corp], false);
      assert.deepEqual(real.actions.map((a) => [a.target, a.kind]), [[c.corp, 'rebased'], [c.mid, 'rebuilt'], [c.app, 'rebuilt']], JSON.stringify(real.actions));
      assert.equal(await docker(['run', '--rm', c.corp, 'cat', '/etc/base-version']), 'v2\n');
      assert.equal(await docker(['run', '--rm', c.mid, 'cat', '/etc/base-version', '/corp.txt', '/mid.txt']), 'v2\ncorp\nmid\n');
      assert.equal(await docker(['run', '--rm', c.app, 'cat', '/etc/base-version', '/corp.txt', '/mid.txt', '/app.txt']), 'v2\ncorp\nmid\napp\n');
      // Each level is on the one updated below it, not on an older copy.
      const layers = async (ref: string) => JSON.parse(await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])) as string[];
      const [corpLayers, midLayers, appLayers] = [await layers(c.corp), await layers(c.mid), await layers(c.app)];
      assert.deepEqual(midLayers.slice(0, corpLayers.length), corpLayers);
      assert.deepEqual(appLayers.slice(0, midLayers.length), midLayers);
      const after = parse<CheckJson>(await runBasewatch(['check', '--json', '--root', c.project, ...all], { home }), 'check');
      assert.deepEqual(all.map((tag) => after.images.find((image) => image.name === tag)?.status), ['current', 'current', 'current'], JSON.stringify(after.images, null, 1));
    });

    it('negative: nothing moved upstream — all three current, nothing planned, nothing done', async () => {
      const c = await threeLevels(false);
      const home = await settings({ minimumAge: '0', policy: 'auto' });
      const all = [c.corp, c.mid, c.app];
      const report = parse<CheckJson>(await runBasewatch(['check', '--json', '--root', c.project, ...all], { home }), 'check');
      assert.deepEqual(all.map((tag) => report.images.find((image) => image.name === tag)?.status), ['current', 'current', 'current']);
      const dry = await update(home, c.project, all, true);
      assert.deepEqual(dry.plan.map((p) => p.action.kind), ['skip', 'skip', 'skip']);
      const real = await update(home, c.project, all, false);
      assert.deepEqual(real.actions, []);
      assert.equal(await idOf(c.app), c.ids.app);
    });
  });

  describe('names: the same registry under two spellings, and a mirror on another registry', () => {
    it('a Dockerfile naming localhost:P settles a base pulled as 127.0.0.1:P: outdated, and update rebases onto it (negative: nothing moved, current)', async () => {
      for (const moved of [true, false]) {
        const ref = await published('loopback', moved);
        const spelled = ref.replace(/^127\.0\.0\.1:/, 'localhost:');
        assert.notEqual(spelled, ref, `the world's registry is on 127.0.0.1 (${ref})`);
        // A second tag on the same image: only the Dockerfile's word says which one the build used.
        await docker(['tag', ref, `${ref.replace(/:1$/, '')}:1.0`]);
        const tag = `${uniqueName(`loopback-app-${moved}`)}:1`;
        const project = await writeProject({ Dockerfile: `FROM ${spelled}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n', 'compose.yaml': `services:\n  app:\n    build: .\n    image: ${tag}\n` });
        // The local copy under that spelling too (a plain build would pull it otherwise).
        await docker(['tag', ref, spelled]);
        await buildImage({ context: project, tag });
        const home = await settings({ minimumAge: '0', policy: 'auto' });
        const image = await check(home, project, tag);
        assert.equal(image.base?.candidates, undefined, JSON.stringify(image.base));
        assert.equal(image.status, moved ? 'outdated' : 'current', image.reason);
        const dry = await update(home, project, [tag], true);
        assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, moved ? 'rebase' : 'skip', JSON.stringify(dry.plan));
        if (moved) {
          const real = await update(home, project, [tag], false);
          assert.equal(real.actions.find((a) => a.target === tag)?.kind, 'rebased', JSON.stringify(real.actions));
          assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v2\n');
        }
      }
    });

    it('a mirror name on another registry is another repository: the Dockerfile\'s name decides which one is checked', async () => {
      const ref = await published('mirrored', true);
      const mirror = `mirror.invalid/${ref.split('/').slice(1).join('/')}`;
      await docker(['tag', ref, mirror]);
      const home = await settings({ minimumAge: '0', policy: 'auto', registryTimeoutSeconds: '5' });
      for (const [from, expected] of [[ref, 'outdated'], [mirror, 'error']] as const) {
        const tag = `${uniqueName('mirror-app')}:1`;
        const project = await writeProject({ Dockerfile: `FROM ${from}\nCOPY a.txt /a.txt\n`, 'a.txt': `${from}\n`, 'compose.yaml': `services:\n  app:\n    build: .\n    image: ${tag}\n` });
        const id = await buildImage({ context: project, tag });
        const image = await check(home, project, tag);
        assert.equal(image.base?.ref, from.startsWith('mirror') ? `${mirror}` : ref, JSON.stringify(image.base));
        assert.equal(image.status, expected, image.reason);
        if (expected === 'error') {
          assert.match(image.reason, /mirror\.invalid/);
          const real = await update(home, project, [tag], false);
          assert.ok(!real.actions.some((a) => a.target === tag && (a.kind === 'rebased' || a.kind === 'rebuilt')), JSON.stringify(real.actions));
          assert.equal(await idOf(tag), id, 'the other registry\'s news never moves it');
        }
      }
    });
  });

  describe('copy sources through stages', () => {
    it('a stage built FROM an image that moved, copied into the final stage: outdated, update rebuilds it (negative: nothing moved, current)', async () => {
      for (const moved of [true, false]) {
        const base = await published('stage-base', false);
        const tool = await published('stage-tool', moved);
        const tag = `${uniqueName('stage-copier')}:1`;
        const project = await writeProject({
          Dockerfile: `FROM ${tool} AS tools\nRUN cp /srv/tool /srv/built\nFROM ${base}\nCOPY --from=tools /srv/built /tool\n`,
          'compose.yaml': `services:\n  app:\n    build: .\n    image: ${tag}\n`,
        });
        await buildImage({ context: project, tag });
        const home = await settings({ minimumAge: '0', policy: 'auto' });
        const image = await check(home, project, tag);
        assert.deepEqual(image.copySources?.map((source) => [source.ref, source.status]), [[tool, moved ? 'outdated' : 'current']]);
        assert.equal(image.status, moved ? 'outdated' : 'current', image.reason);
        const dry = await update(home, project, [tag], true);
        assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, moved ? 'rebuild' : 'skip', JSON.stringify(dry.plan));
        if (moved) {
          const real = await update(home, project, [tag], false);
          assert.equal(real.actions.find((a) => a.target === tag)?.kind, 'rebuilt', JSON.stringify(real.actions));
          assert.equal(await docker(['run', '--rm', tag, 'cat', '/tool']), 'tool v2\n');
        }
      }
    });
  });

  describe('never downgrade, through update and rebuild', () => {
    it('a company base built here and newer than its registry copy: update leaves the app alone, and rebuild builds on the local base, not the registry\'s', async () => {
      const upstream = await published('ndg-up', false);
      const corp = `${registry}/${uniqueName('ndg-corp')}:1`;
      const corpProject = await writeProject({ Dockerfile: `FROM ${upstream}\nCOPY corp.txt /corp.txt\n`, 'corp.txt': 'corp v1\n' });
      await buildImage({ context: corpProject, tag: corp });
      await pushImage(corp);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const newer = await writeProject({ Dockerfile: `FROM ${upstream}\nCOPY corp.txt /corp.txt\n`, 'corp.txt': 'corp v2\n' });
      await buildImage({ context: newer, tag: corp });
      const localCorp = await idOf(corp);
      const tag = `${uniqueName('ndg-app')}:1`;
      const project = await writeProject({ Dockerfile: `FROM ${corp}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n', 'compose.yaml': `services:\n  app:\n    build: .\n    image: ${tag}\n` });
      const appId = await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0', policy: 'auto' });

      const image = await check(home, project, tag);
      assert.equal(image.status, 'current', image.reason);
      const dry = await update(home, project, [tag], true);
      assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, 'skip', JSON.stringify(dry.plan));
      const real = await update(home, project, [tag], false);
      assert.deepEqual(real.actions.filter((a) => a.target === tag), []);
      assert.equal(await idOf(tag), appId);

      const rebuild = await runBasewatch(['rebuild', '--json', '--root', project, tag], { home });
      assert.equal(rebuild.code, 0, rebuild.stdout + rebuild.stderr);
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/corp.txt']), 'corp v2\n', 'built on the local company base');
      assert.equal(await idOf(corp), localCorp, 'the registry\'s older copy was not pulled over it');
    });
  });

  describe('the image\'s own base label names the tag', () => {
    it('a label naming the fixed tag: current and left alone; naming the floating tag: outdated and rebased onto it', async () => {
      for (const which of ['fixed', 'floating'] as const) {
        const floating = await published('labelled', true);
        const fixed = `${floating.replace(/:1$/, '')}:1.2`;
        await docker(['tag', floating, fixed]);
        await pushImage(fixed);
        const named = which === 'fixed' ? fixed : floating;
        const tag = `${uniqueName(`labelled-${which}`)}:1`;
        const project = await writeProject({ Dockerfile: `FROM ${named}\nLABEL org.opencontainers.image.base.name="${named}"\nCOPY a.txt /a.txt\n`, 'a.txt': `${which}\n` });
        const id = await buildImage({ context: project, tag });
        const home = await settings({ minimumAge: '0', policy: 'auto' });
        const roots = await makeTempDir('no-dockerfiles');
        const image = await check(home, roots, tag);
        assert.equal(image.base?.ref, named, JSON.stringify(image.base));
        assert.equal(image.base?.via, 'label');
        assert.equal(image.status, which === 'fixed' ? 'current' : 'outdated', image.reason);
        const real = await update(home, roots, [tag], false);
        if (which === 'fixed') {
          assert.deepEqual(real.actions.filter((a) => a.target === tag), []);
          assert.equal(await idOf(tag), id);
        } else {
          assert.equal(real.actions.find((a) => a.target === tag)?.kind, 'rebased', JSON.stringify(real.actions));
          assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v2\n');
        }
      }
    });
  });

  describe('commands run without --root use the current folder, as check does', () => {
    it('rebase in the project folder takes the tag from its compose service (negative: elsewhere, nothing settles it and it is refused)', async () => {
      const floating = await published('cwd-base', true);
      const fixed = `${floating.replace(/:1$/, '')}:1.2`;
      await docker(['tag', floating, fixed]);
      await pushImage(fixed);
      const tag = `${uniqueName('cwd-app')}:1`;
      const project = await writeProject({ Dockerfile: `FROM ${floating}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n', 'compose.yaml': `services:\n  app:\n    build: .\n    image: ${tag}\n` });
      const id = await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      const elsewhere = await runBasewatch(['rebase', '--json', tag], { home, cwd: await makeTempDir('elsewhere') });
      assert.notEqual(parse<{ status: string }>(elsewhere, 'rebase elsewhere').status, 'rebased', elsewhere.stdout);
      assert.equal(await idOf(tag), id);
      const here = await runBasewatch(['rebase', '--json', tag], { home, cwd: project });
      assert.equal(parse<{ status: string }>(here, 'rebase').status, 'rebased', here.stdout);
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v2\n');
    });
  });

  describe('pins are decisions', () => {
    it('a pinned image is left by update under every acting policy, and moved only by an explicit rebase --to', async () => {
      const floating = await published('pin-base', true);
      const v1Digest = (await docker(['image', 'inspect', '--format', '{{index .RepoDigests 0}}', floating])).trim().split('@')[1] ?? '';
      const tag = `${uniqueName('pin-app')}:1`;
      const project = await writeProject({ Dockerfile: `FROM ${floating}@${v1Digest}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n', 'compose.yaml': `services:\n  app:\n    build: .\n    image: ${tag}\n` });
      const id = await buildImage({ context: project, tag });
      for (const policy of ['auto', 'rebase', 'rebuild']) {
        const home = await settings({ minimumAge: '0', policy });
        const image = await check(home, project, tag);
        assert.equal(image.status, 'current', image.reason);
        const real = await update(home, project, [tag], false);
        assert.deepEqual(real.actions.filter((a) => a.target === tag), [], `${policy}: ${JSON.stringify(real.actions)}`);
        assert.equal(await idOf(tag), id);
      }
      const home = await settings({ minimumAge: '0' });
      const moved = await runBasewatch(['rebase', '--json', '--root', project, '--to', floating, tag], { home });
      assert.equal(parse<{ status: string }>(moved, 'rebase --to').status, 'rebased', moved.stdout);
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v2\n');
    });
  });

  describe('check, update --dry-run and the daemon agree', () => {
    const hooks: Array<{ message: string; items: Array<{ kind: string; image: string; reason: string }> }> = [];
    let server: http.Server | undefined;
    let daemon: Daemon | undefined;
    after(async () => {
      await killDaemon(daemon);
      server?.close();
    });

    it('on status and action, scenario by scenario; the notification says the command that settles an unsettled tag', async () => {
      server = http.createServer((req, res) => {
        let text = '';
        req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        req.on('end', () => {
          hooks.push(JSON.parse(text) as (typeof hooks)[number]);
          res.end('ok');
        });
      });
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;

      const floating = await published('agree-base', true);
      const fixed = `${floating.replace(/:1$/, '')}:1.2`;
      await docker(['tag', floating, fixed]);
      await pushImage(fixed);
      const v1Digest = (await docker(['image', 'inspect', '--format', '{{index .RepoDigests 0}}', fixed])).trim().split('@')[1] ?? '';
      const root = await makeTempDir('agree-root');
      const compose = (tag: string) => `services:\n  app:\n    build: .\n    image: ${tag}\n`;
      const tags = {
        settled: `${uniqueName('agree-settled')}:1`,
        fixed: `${uniqueName('agree-fixed')}:1`,
        unsettled: `${uniqueName('agree-unsettled')}:1`,
        pinned: `${uniqueName('agree-pinned')}:1`,
        victim: `${uniqueName('agree-victim')}:1`,
      };
      const inRoot = async (dir: string, files: Record<string, string>) => {
        const { writeTree } = await import('./helpers/world.js');
        await writeTree(join(root, dir), files);
        return join(root, dir);
      };
      await buildImage({ context: await inRoot('settled', { Dockerfile: `FROM ${floating}\nCOPY a.txt /a.txt\n`, 'a.txt': 'settled\n', 'compose.yaml': compose(tags.settled) }), tag: tags.settled });
      await buildImage({ context: await inRoot('fixed', { Dockerfile: `FROM ${fixed}\nCOPY a.txt /a.txt\n`, 'a.txt': 'fixed\n', 'compose.yaml': compose(tags.fixed) }), tag: tags.fixed });
      await buildImage({ context: await inRoot('pinned', { Dockerfile: `FROM ${floating}@${v1Digest}\nCOPY a.txt /a.txt\n`, 'a.txt': 'pinned\n', 'compose.yaml': compose(tags.pinned) }), tag: tags.pinned });
      // Built from a Dockerfile outside the roots: nothing under them says which tag it used.
      await buildImage({ context: await writeProject({ Dockerfile: `FROM ${floating}\nCOPY u.txt /u.txt\n`, 'u.txt': 'unsettled\n' }), tag: tags.unsettled });
      // Built elsewhere; a compose file under the roots claims it with a build of its own.
      const victimBase = await published('agree-victim-base', false);
      await buildImage({ context: await writeProject({ Dockerfile: `FROM ${victimBase}\nCOPY v.txt /v.txt\n`, 'v.txt': 'victim\n' }), tag: tags.victim });
      await inRoot('evil', { Dockerfile: `FROM ${floating}\nCOPY --from=${floating} /etc/base-version /stolen\n`, 'compose.yaml': compose(tags.victim) });

      const expected: Record<keyof typeof tags, [string, string]> = {
        settled: ['outdated', 'report'],
        fixed: ['current', 'skip'],
        unsettled: ['outdated', 'report'],
        pinned: ['current', 'skip'],
        victim: ['current', 'skip'],
      };
      const home = await daemonHome('agree-home', [root], { notifyWebhook: `http://127.0.0.1:${port}/hook` });
      const names = Object.values(tags);
      const report = parse<CheckJson>(await runBasewatch(['check', '--json', '--root', root, ...names], { home }), 'check');
      const dry = await update(home, root, names, true);
      daemon = startDaemon(home);
      await waitUntilIdle(home, 1, daemon);
      const cycle = (await askDaemon(runtimeOf(home), { kind: 'cycle', images: names, reason: 'test' })) as CycleResult;
      assert.ok(cycle !== null, 'a daemon answered');
      await waitUntilIdle(home, 2, daemon);

      for (const [key, tag] of Object.entries(tags) as Array<[keyof typeof tags, string]>) {
        const [status, action] = expected[key];
        const checked = report.images.find((image) => image.name === tag);
        assert.equal(checked?.status, status, `${key}: check says ${checked?.reason}`);
        assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, action, `${key}: update --dry-run ${JSON.stringify(dry.plan)}`);
        assert.equal(cycle.report.images.find((image) => image.name === tag)?.status, status, `${key}: the daemon's check`);
        assert.equal(cycle.plan?.find((p) => p.image === tag)?.action.kind, action, `${key}: the daemon's plan`);
      }
      const notified = async (tag: string) => hooks.flatMap((hook) => hook.items).find((item) => item.image === tag) ?? null;
      for (const key of ['settled', 'unsettled'] as const) await waitFor(`the notification for ${key}`, () => notified(tags[key]), 10_000, daemon);
      for (const key of ['fixed', 'pinned', 'victim'] as const) assert.equal(await notified(tags[key]), null, `${key} is not notified`);
      assert.match((await notified(tags.unsettled))?.reason ?? '', new RegExp(`basewatch link ${quoted(tags.unsettled)} <its Dockerfile>`));
      assert.match(report.images.find((image) => image.name === tags.victim)?.reason ?? '', /claims .* but its Dockerfile is built FROM .*, and the image is not built on that; not linked/);
    });
  });
});
