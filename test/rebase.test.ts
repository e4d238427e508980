// `basewatch rebase` / `rollback` against the real engine and registry: images built as users
// build them, a base patched upstream under the same tag, and what the developer would check.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { extract } from 'tar-stream';
import { spawn } from 'node:child_process';
import {
  buildImage,
  docker,
  dockerEnv,
  getWorld,
  inspectImage,
  makeBaseImage,
  makeTempDir,
  pushImage,
  runBasewatch,
  skipWithoutWorld,
  uniqueName,
  usesContainerdStore,
  writeProject,
} from './helpers/world.js';
import { patchedBase } from './helpers/patched-base.js';
import { connectEngine } from '../src/engine/connect.js';
import type { EngineClient } from '../src/engine/docker-engine.js';
import { EngineError } from '../src/engine/engine-error.js';
import { basewatchPaths } from '../src/config/paths.js';
import { defaultSettings } from '../src/config/settings.js';
import { linkForAct } from '../src/pipeline/link-for-act.js';
import { rebaseImage } from '../src/act/rebase/rebase-image.js';
import { type CredentialSource, dockerCredentials } from '../src/registry/credentials.js';
import { createRegistryClient } from '../src/registry/registry-client.js';

interface Outcome {
  status: string;
  image: string;
  tags: string[];
  oldImageId: string | null;
  newImageId: string | null;
  oldBase: { ref: string; digest: string | null } | null;
  newBase: { ref: string; digest: string } | null;
  layersReused: number;
  baseLayersSkipped: number;
  bytesMoved: number;
  seconds: number;
  fastPath: boolean | null;
  packages: { summary: string } | null;
  reasons: string[];
  warnings: string[];
  keepTag: string | null;
}

async function rebase(args: string[], env: Record<string, string> = {}, home?: string) {
  const result = await runBasewatch(['rebase', '--json', ...args], { env, ...(home ? { home } : {}) });
  let outcome: Outcome;
  try {
    outcome = JSON.parse(result.stdout) as Outcome;
  } catch {
    return assert.fail(`rebase printed no JSON (exit ${result.code}, signal ${result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, outcome };
}

async function idOf(ref: string): Promise<string> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

/** Path -> "type mode sha256" of a container's file tree, as `docker export` gives it. */
async function fileTree(image: string): Promise<Map<string, string>> {
  const container = (await docker(['create', image])).trim();
  try {
    const tree = new Map<string, string>();
    const reader = extract();
    const done = new Promise<void>((resolve, reject) => {
      reader.on('entry', (header, body, next) => {
        const hash = createHash('sha256');
        body.on('data', (chunk: unknown) => hash.update(chunk as Buffer));
        body.on('end', () => {
          const name = header.name.replace(/^\.?\/*/, '').replace(/\/$/, '');
          // Files the engine creates for every container, not part of the image.
          if (!/^(\.dockerenv|etc\/(hostname|hosts|resolv\.conf|mtab)|dev|proc|sys)(\/|$)/.test(name)) {
            tree.set(name, `${header.type} ${(header.mode ?? 0).toString(8)} ${header.linkname ?? ''} ${hash.digest('hex')}`);
          }
          next();
        });
      });
      reader.on('finish', resolve);
      reader.on('error', reject);
    });
    const child = spawn('docker', ['export', container], { env: dockerEnv() });
    child.stdout.pipe(reader);
    await done;
    return tree;
  } finally {
    await docker(['rm', '-f', container]);
  }
}

describe('basewatch rebase (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('rebases an app onto the patched base: new base files, app files and settings kept, exact layers', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({
      Dockerfile: [
        `FROM ${base.baseRef}`,
        'ENV APP_MODE=production',
        'LABEL org.example.team=web',
        'COPY app/ /srv/app/',
        'WORKDIR /srv/app',
        'USER 1000',
        'EXPOSE 8080',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["cat /srv/app/hello.txt /etc/base-version; echo $BASE_VERSION $APP_MODE"]',
        '',
      ].join('\n'),
      'app/hello.txt': 'hello from the app\n',
      'app/run.sh': '#!/bin/sh\necho run\n',
    });
    const tag = `${uniqueName('web')}:1`;
    const second = `${tag.replace(/:1$/, '')}:latest`;
    const oldId = await buildImage({ context: project, tag });
    await docker(['tag', oldId, second]);
    const before = await inspectImage(tag);
    const home = await makeTempDir('home');

    const { code, outcome } = await rebase([tag], {}, home);
    assert.equal(code, 0, JSON.stringify(outcome));
    assert.equal(outcome.status, 'rebased');
    assert.equal(outcome.oldImageId, oldId);
    assert.equal(outcome.oldBase?.ref, base.baseRef);
    assert.deepEqual(outcome.newBase, { ref: base.baseRef, digest: base.newDigest });
    // The classic store skips the new base's layers it has (placeholders); the containerd store
    // takes no placeholders, so the rebase sends them all.
    const containerd = await usesContainerdStore();
    assert.equal(outcome.fastPath, !containerd);
    assert.equal(outcome.baseLayersSkipped, containerd ? 0 : 1);
    assert.equal(outcome.layersReused, 1);
    assert.match(outcome.packages?.summary ?? '', /^openssl 3\.0\.15-1~deb12u1 → 3\.0\.16-1~deb12u1/);
    assert.ok(outcome.bytesMoved > 0, `bytesMoved ${outcome.bytesMoved}`);
    assert.ok(outcome.seconds > 0, `seconds ${outcome.seconds}`);
    assert.equal(outcome.keepTag, `basewatch-rollback:${oldId.slice(7, 19)}`);

    const after = await inspectImage(tag);
    assert.equal(after.Id, outcome.newImageId);
    assert.equal(await idOf(second), after.Id, 'every tag moved');
    const newBase = await inspectImage(base.newBaseId);
    assert.deepEqual(after.RootFS.Layers, [...newBase.RootFS.Layers, ...before.RootFS.Layers.slice(1)]);
    assert.deepEqual(after.Config.Cmd, before.Config.Cmd);
    const raw = JSON.parse(await docker(['image', 'inspect', tag]))[0] as {
      Config: { Entrypoint: string[]; User: string; WorkingDir: string; ExposedPorts: object; Labels: Record<string, string>; Env: string[] };
    };
    assert.deepEqual(raw.Config.Entrypoint, ['/bin/sh', '-c']);
    assert.equal(raw.Config.User, '1000');
    assert.equal(raw.Config.WorkingDir, '/srv/app');
    assert.deepEqual(raw.Config.ExposedPorts, { '8080/tcp': {} });
    assert.equal(raw.Config.Labels['org.example.team'], 'web');
    assert.equal(raw.Config.Labels['org.opencontainers.image.base.name'], base.baseRef);
    assert.equal(raw.Config.Labels['org.opencontainers.image.base.digest'], base.newDigest);
    assert.ok(raw.Config.Env.includes('APP_MODE=production'));
    assert.ok(raw.Config.Env.includes('BASE_VERSION=2'), raw.Config.Env.join(' '));

    const run = await docker(['run', '--rm', tag]);
    assert.equal(run, 'hello from the app\nv2\n2 production\n');
    assert.equal(await docker(['run', '--rm', tag, 'cat /etc/patched']), 'yes\n');

    // status shows what the rebase did, packages included, without any network call.
    const status = await runBasewatch(['status'], { home, env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    assert.match(status.stdout, new RegExp(`rebase ${tag.replace(/[.:]/g, '\\$&')}: .*\\(openssl 3\\.0\\.15-1~deb12u1 → 3\\.0\\.16-1~deb12u1`));

    // The previous image is still there for rollback; rollback puts every tag back.
    assert.equal(await idOf(outcome.keepTag ?? ''), oldId);
    const rolled = await runBasewatch(['rollback', tag, '--json'], { home });
    assert.equal(rolled.code, 0, rolled.stdout + rolled.stderr);
    assert.equal(await idOf(tag), oldId);
    assert.equal(await idOf(second), oldId);
    assert.equal(await docker(['run', '--rm', tag, 'cat /etc/base-version']), 'v1\n');
  });

  it('gives the same file tree as docker build --no-cache on the new base, for a COPY-only Dockerfile', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({
      Dockerfile: `FROM ${base.baseRef}\nCOPY site/ /var/www/\nCOPY bin/tool /usr/local/bin/tool\n`,
      'site/index.html': '<h1>hi</h1>\n',
      'site/css/app.css': 'body{}\n',
      'bin/tool': '#!/bin/sh\necho tool\n',
    });
    await fs.chmod(path.join(project, 'bin/tool'), 0o755);
    const tag = `${uniqueName('site')}:1`;
    await buildImage({ context: project, tag });
    const { outcome } = await rebase([tag]);
    assert.equal(outcome.status, 'rebased', JSON.stringify(outcome));

    // What a rebuild on the new base gives.
    await docker(['tag', base.newBaseId, base.baseRef]);
    const rebuilt = `${uniqueName('site-rebuilt')}:1`;
    await buildImage({ context: project, tag: rebuilt, extraArgs: ['--no-cache'] });
    const [ours, theirs] = await Promise.all([fileTree(tag), fileTree(rebuilt)]);
    assert.ok(ours.size > 20, `a real tree (${ours.size} entries)`);
    assert.deepEqual([...ours].sort(), [...theirs].sort());
  });

  for (const [what, step, reason] of [
    ['runs a package install', 'RUN printf "Package: curl\\nStatus: install ok installed\\nVersion: 8\\n\\n" >> /var/lib/dpkg/status', /layer 2 writes \/var\/lib\/dpkg\/status \(a package install\): rebuild instead/],
    ['deletes a base file', 'RUN rm /etc/motd', /layer 2 deletes \/etc\/motd, a file of the base: rebuild instead/],
    ['overwrites a base file', 'COPY motd /etc/motd', /layer 2 overwrites \/etc\/motd from the base: rebuild instead/],
  ] as const) {
    it(`refuses an image whose Dockerfile ${what}, and leaves it untouched`, async () => {
      const base = await patchedBase(registry);
      const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\n${step}\n`, motd: 'mine\n' });
      const tag = `${uniqueName('unsafe')}:1`;
      const id = await buildImage({ context: project, tag });
      const { code, outcome, stdout } = await rebase([tag]);
      assert.equal(code, 6, stdout);
      assert.equal(outcome.status, 'refused');
      assert.ok(outcome.reasons.some((r) => reason.test(r)), outcome.reasons.join('\n'));
      assert.equal(await idOf(tag), id);
      const human = await runBasewatch(['rebase', tag]);
      assert.equal(human.code, 6);
      assert.match(human.stdout, reason);
    });
  }

  it('--force rebases despite the seam check, with a warning; --dry-run changes nothing', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nRUN rm /etc/motd\n` });
    const tag = `${uniqueName('forced')}:1`;
    const id = await buildImage({ context: project, tag });

    const dry = await rebase([tag, '--dry-run', '--force']);
    assert.equal(dry.outcome.status, 'dry-run');
    assert.equal(await idOf(tag), id);
    await assert.rejects(docker(['image', 'inspect', base.newBaseId]), 'a dry run pulls nothing');

    const forced = await rebase([tag, '--force']);
    assert.equal(forced.outcome.status, 'rebased', JSON.stringify(forced.outcome));
    assert.ok(forced.outcome.warnings.some((w) => /--force: rebasing although layer 2 deletes \/etc\/motd/.test(w)));
    await assert.rejects(docker(['run', '--rm', tag, 'cat', '/etc/motd']));
  });

  it('refuses an app whose base is unknown with the reason the link gave and the rebuild to run instead', async () => {
    // As in check-upstream: the base label names a tag only, and that tag has moved to another image.
    const baseRef = `${registry}/${uniqueName('moved')}:1`;
    await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v1\n' } });
    const project = await writeProject({
      Dockerfile: `FROM ${baseRef}\nLABEL org.opencontainers.image.base.name=${baseRef}\nCOPY app.txt /app.txt\n`,
      'app.txt': 'app\n',
    });
    const tag = `${uniqueName('onold')}:1`;
    const id = await buildImage({ context: project, tag });
    await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v2\n' } });
    await pushImage(baseRef);

    const { code, outcome, stdout } = await rebase([tag]);
    if (await usesContainerdStore()) {
      // That store keeps the image the tag left, known by its digest (`repo@<its id>`): the old
      // base is known for sure, so the rebase is safe, and onto the tag's new image.
      assert.equal(code, 0, stdout);
      assert.equal(outcome.status, 'rebased', stdout);
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version', '/app.txt']), 'v2\napp\n');
      return;
    }
    assert.equal(code, 6, stdout);
    assert.equal(outcome.status, 'refused');
    const moved = new RegExp(`the local ${baseRef.replace(/[.:]/g, '\\$&')} is another image than the one it was built on`);
    assert.ok(outcome.reasons.some((reason) => moved.test(reason) && reason.endsWith(`basewatch rebuild ${tag}`)), outcome.reasons.join('\n'));
    assert.equal(await idOf(tag), id);
    const human = await runBasewatch(['rebase', tag]);
    assert.equal(human.code, 6);
    assert.match(human.stdout, moved);
    // No Dockerfile known where it ran: it says how to name one.
    assert.match(human.stdout, new RegExp(`rebuild it from its Dockerfile instead: say which Dockerfile builds it with basewatch link ${tag.replace(/[.:]/g, '\\$&')} <Dockerfile>, then basewatch rebuild ${tag.replace(/[.:]/g, '\\$&')}`));
    assert.doesNotMatch(human.stdout, /neither local nor known by digest/);
    // Once its Dockerfile is linked, the refusal names it.
    const home = await makeTempDir('home');
    const linked = await runBasewatch(['link', tag, path.join(project, 'Dockerfile')], { home });
    assert.equal(linked.code, 0, linked.stderr);
    const named = await runBasewatch(['rebase', tag], { home, cwd: project });
    assert.equal(named.code, 6, named.stdout);
    assert.match(named.stdout, new RegExp(`rebuild it from its Dockerfile instead: basewatch rebuild ${tag.replace(/[.:]/g, '\\$&')} \\(\\./Dockerfile\\)\n`));
    // The advice is given once, not once in the reason and again below it.
    for (const shown of [human.stdout, named.stdout]) {
      assert.equal(shown.split(`basewatch rebuild ${tag}`).length - 1, 1, shown);
      assert.equal(shown.toLowerCase().split('rebuild it from its dockerfile instead').length - 1, 1, shown);
    }
  });

  it('leaves an image that is already on the latest base alone, with nothing left behind', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
    const tag = `${uniqueName('current')}:1`;
    await buildImage({ context: project, tag });
    const home = await makeTempDir('current-home');
    const first = await rebase([tag], {}, home);
    assert.equal(first.outcome.status, 'rebased', JSON.stringify(first.outcome));
    const rebasedId = await idOf(tag);

    const again = await rebase([tag], {}, home);
    assert.equal(again.outcome.status, 'current', JSON.stringify(again.outcome));
    assert.match(again.outcome.reasons.join('\n'), /already on the latest/);
    assert.equal(await idOf(tag), rebasedId);
    assert.deepEqual(await fs.readdir(path.join(home, 'state', 'tmp')), [], 'no spool folder left');
  });

  it('moves no tag and keeps no new image when the new base\'s packages cannot be read (read beside the load)', async (t) => {
    const world = getWorld();
    assert.ok(world !== null);
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
    const tag = `${uniqueName('pkgread')}:1`;
    const oldId = await buildImage({ context: project, tag });
    const engine = await connectEngine({ env: { DOCKER_HOST: world.dockerHost } });
    // The engine as it is, except that reading files out of an image fails.
    const failingReads = new Proxy(engine, {
      get: (target, key) => {
        if (key === 'readImageFiles') {
          return async () =>
            Promise.reject(new EngineError({ endpoint: engine.endpoint, operation: 'read files', failure: 'http', detail: 'simulated: the engine cannot read the files', statusCode: 500 }));
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }) as EngineClient;
    const credentials: CredentialSource = dockerCredentials({ configDir: path.join(world.dir, 'docker-config') });
    const client = createRegistryClient({ credentials });
    t.after(() => client.close());
    const paths = basewatchPaths({ BASEWATCH_HOME: await makeTempDir('pkgread-home') });
    const stateDir = paths.state;
    const linked = await linkForAct({ engine, settings: defaultSettings(), paths, env: {}, cwd: project, roots: [project], image: tag });
    assert.ok(linked.ok, JSON.stringify(linked));

    const outcome = await rebaseImage(
      { engine: failingReads, registry: client, credentials, stateDir },
      { image: tag, to: null, dryRun: false, force: false, linked: linked.linked },
    );
    assert.equal(outcome.status, 'failed', JSON.stringify(outcome));
    assert.match(outcome.reasons.join('\n'), /simulated: the engine cannot read the files/);
    assert.equal(await idOf(tag), oldId, 'the tag stays');
    assert.ok(outcome.newImageId !== null, 'it got as far as the load');
    await assert.rejects(docker(['image', 'inspect', outcome.newImageId]), 'the loaded image is removed again');
    assert.deepEqual(await fs.readdir(path.join(stateDir, 'tmp')), [], 'no spool folder left');
  });

  for (const point of ['rebase:after-export', 'rebase:after-pull', 'rebase:after-load', 'tags:after-keep-tag', 'tags:after-first-move']) {
    it(`leaves every tag on a runnable image when killed at ${point}, and the next run cleans up`, async () => {
      const base = await patchedBase(registry);
      const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
      const tag = `${uniqueName('crash')}:1`;
      const other = `${tag.replace(/:1$/, '')}:stable`;
      const oldId = await buildImage({ context: project, tag });
      await docker(['tag', tag, other]);
      const home = await makeTempDir('crash-home');

      const killed = await runBasewatch(['rebase', tag], { env: { BASEWATCH_FAILPOINT: point }, home });
      assert.equal(killed.signal, 'SIGKILL', `the failpoint fired (${killed.stdout}${killed.stderr})`);
      for (const ref of [tag, other]) {
        assert.equal(await docker(['run', '--rm', ref, 'cat', '/hello.txt']), 'hi\n', `${ref} runs after a crash at ${point}`);
      }

      const again = await rebase([tag], {}, home);
      assert.ok(['rebased', 'current'].includes(again.outcome.status), JSON.stringify(again.outcome));
      const newId = await idOf(tag);
      assert.notEqual(newId, oldId);
      assert.equal(await idOf(other), newId, 'both tags end on the same image');
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v2\n');
      const leftovers = await fs.readdir(path.join(home, 'state', 'tmp')).catch(() => []);
      assert.deepEqual(leftovers, [], 'no spool folders left');
      await assert.rejects(fs.access(path.join(home, 'state', 'tag-move-journal.json')));
    });
  }
});
