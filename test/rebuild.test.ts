// `basewatch link` / `rebuild` against the real engine and registry: apps built as users build
// them, a base patched upstream under the same tag, and what the developer would check after.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runLinkCommand, runRebuildCommand } from '../src/cli/rebuild-command.js';
import type { CliIo } from '../src/cli/cli-io.js';
import { defaultSettings } from '../src/config/settings.js';
import { createEngineClient } from '../src/engine/docker-engine.js';
import { BuildError } from '../src/engine/build-log.js';
import { basewatchPaths } from '../src/config/paths.js';
import { rebuildForPlan } from '../src/pipeline/rebuild-for-plan.js';
import { dockerCredentials } from '../src/registry/credentials.js';
import { hostPlatform } from '../src/refs/platform.js';
import { MANIFEST_ACCEPT, pushIndex, pushImage as pushRawImage } from './registry-content.js';
import {
  buildImage,
  docker,
  getWorld,
  inspectImage,
  makeBaseImage,
  makeTempDir,
  pushImage,
  runBasewatch,
  skipWithoutWorld,
  uniqueName,
  writeProject,
} from './helpers/world.js';

interface Report {
  status: string;
  image: string;
  tags: string[];
  oldImageId: string | null;
  newImageId: string | null;
  baseRef: string | null;
  baseDigest: string | null;
  seconds: number;
  logTail: string[];
  reasons: string[];
  warnings: string[];
  keepTag: string | null;
  source: { dockerfile: string; context: string; target: string | null; compose: string | null; service: string | null; via: string } | null;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command functions as bin/basewatch.js runs them, with the env runBasewatch gives a child. */
async function cli(run: (io: CliIo) => Promise<number>, home: string, cwd?: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const world = getWorld();
  assert.ok(world);
  let stdout = '';
  let stderr = '';
  const env: Record<string, string | undefined> = {
    ...process.env,
    BASEWATCH_HOME: home,
    NO_COLOR: '1',
    DOCKER_CONFIG: join(world.dir, 'docker-config'),
    DOCKER_HOST: world.dockerHost,
    DOCKER_CONTEXT: undefined,
    ...extraEnv,
  };
  const io: CliIo = {
    stdout: { write: (text: string) => ((stdout += text), true) } as unknown as CliIo['stdout'],
    stderr: { write: (text: string) => ((stderr += text), true) } as unknown as CliIo['stderr'],
    env,
    cwd: cwd ?? home,
  };
  const code = await run(io);
  return { code, stdout, stderr };
}

async function rebuild(target: string, home: string, options: { roots?: string[]; cwd?: string; dryRun?: boolean; env?: Record<string, string> } = {}) {
  const result = await cli((io) => runRebuildCommand({ target, roots: options.roots ?? [], json: true, dryRun: options.dryRun === true }, io), home, options.cwd, options.env);
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    return assert.fail(`rebuild printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, report };
}

async function idOf(ref: string): Promise<string> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

async function catIn(image: string, file: string): Promise<string> {
  return docker(['run', '--rm', '--entrypoint', '/bin/sh', image, '-c', `cat ${file} 2>/dev/null || echo MISSING`]);
}

/** A base v1 pushed and local; then v2 pushed under the same tag, never pulled here. */
async function patchedBase(registry: string): Promise<{ baseRef: string; oldBaseId: string; newDigest: string }> {
  const baseRef = `${registry}/${uniqueName('base')}:1`;
  const oldBaseId = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v1\n' } });
  await pushImage(baseRef);
  const newBaseId = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v2\n', '/etc/patched': 'yes\n' } });
  const newDigest = await pushImage(baseRef);
  await docker(['tag', oldBaseId, baseRef]);
  await docker(['image', 'rm', newBaseId]).catch(() => '');
  return { baseRef, oldBaseId, newDigest };
}

/** Pushes an index over an already pushed manifest (this machine's platform) plus another platform's image; its digest. */
async function indexOver(registry: string, repository: string, tag: string, manifestDigest: string): Promise<string> {
  const path = repository.slice(registry.length + 1);
  const response = await fetch(`http://${registry}/v2/${path}/manifests/${manifestDigest}`, { headers: { Accept: MANIFEST_ACCEPT } });
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, 200, bytes.toString());
  const configDigest = (JSON.parse(bytes.toString()) as { config: { digest: string } }).config.digest;
  const host = hostPlatform();
  const other = host.architecture === 'arm64' ? 'amd64' : 'arm64';
  const pusher = { url: `http://${registry}` };
  const foreign = await pushRawImage(pusher, path, `${tag}-${other}`, { architecture: other, docker: true });
  const index = await pushIndex(
    pusher,
    path,
    tag,
    [
      { image: foreign, platform: { os: 'linux', architecture: other } },
      { image: { digest: manifestDigest, size: bytes.length, configDigest, mediaType: response.headers.get('content-type') ?? '' }, platform: { os: 'linux', architecture: host.architecture } },
    ],
    { docker: true },
  );
  return index.digest;
}

describe('basewatch rebuild (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('link, then rebuild onto the patched base with the same args and target; rollback restores the old image', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({
      Dockerfile: [
        `FROM ${base.baseRef} AS builder`,
        'ARG FLAVOR=plain',
        'RUN echo "built $FLAVOR" > /built.txt',
        'FROM builder AS runtime',
        'ARG GREETING=hello',
        'RUN echo "$GREETING" > /greeting.txt',
        'FROM builder AS debug',
        'RUN echo debug > /debug.txt',
        '',
      ].join('\n'),
    });
    const tag = `${uniqueName('app')}:1`;
    const second = tag.replace(/:1$/, ':latest');
    const args = { GREETING: 'bonjour', FLAVOR: 'spicy' };
    const oldId = await buildImage({ context: project, tag, buildArgs: args, target: 'runtime' });
    await docker(['tag', oldId, second]);
    const home = await makeTempDir('home');

    // FLAVOR without a value: its value comes from the environment at rebuild time, as with
    // docker build; it is unset here, so nothing of it is stored.
    const linked = await cli(
      (io) => runLinkCommand({ image: tag, dockerfile: join(project, 'Dockerfile'), context: null, target: 'runtime', buildArgs: ['GREETING=bonjour', 'FLAVOR'], json: false }, io),
      home,
    );
    assert.equal(linked.code, 0, linked.stderr);
    assert.match(linked.stdout, new RegExp(`Linked ${tag} → ${join(project, 'Dockerfile')}`));
    assert.match(linked.stdout, /build args GREETING=\*\*\*; from the environment at rebuild time: FLAVOR/);
    assert.ok(!linked.stdout.includes('bonjour'), linked.stdout);
    const linkJson = await cli(
      (io) => runLinkCommand({ image: tag, dockerfile: join(project, 'Dockerfile'), context: null, target: 'runtime', buildArgs: ['GREETING=bonjour', 'FLAVOR'], json: true }, io),
      home,
    );
    assert.deepEqual((JSON.parse(linkJson.stdout) as { buildArgs: unknown }).buildArgs, { GREETING: '***' });
    // The values live only in the private build links file, which the rebuild needs.
    const linksFile = join(basewatchPaths({ BASEWATCH_HOME: home }).state, 'build-links.json');
    const stored = JSON.parse(await fs.readFile(linksFile, 'utf8')) as { links: Array<{ buildArgs: unknown; envBuildArgs: unknown }> };
    assert.deepEqual(stored.links.map((l) => [l.buildArgs, l.envBuildArgs]), [[{ GREETING: 'bonjour' }, ['FLAVOR']]]);
    assert.equal((await fs.stat(linksFile)).mode & 0o777, 0o600);

    const dry = await rebuild(tag, home, { dryRun: true, env: { FLAVOR: 'spicy' } });
    assert.equal(dry.code, 0, JSON.stringify(dry.report, null, 2));
    assert.equal(dry.report.status, 'dry-run');
    assert.equal(dry.report.baseRef, base.baseRef);
    assert.equal(await idOf(tag), oldId, 'a dry run changes nothing');
    assert.equal((await inspectImage(base.baseRef)).Id, base.oldBaseId, 'and pulls nothing');

    const { code, report, stdout, stderr } = await rebuild(tag, home, { env: { FLAVOR: 'spicy' } });
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    assert.equal(report.status, 'rebuilt');
    assert.equal(report.source?.via, 'link');
    for (const secret of ['bonjour', 'spicy']) assert.ok(!`${stdout}${stderr}`.includes(secret), `rebuild --json shows no build-arg value (${secret})`);
    // Nor does any file basewatch keeps (state, history, logs), but the private build links file.
    const kept = (await fs.readdir(home, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
    assert.ok(kept.some((entry) => entry.name === 'history.jsonl'), 'the rebuild wrote its history');
    for (const entry of kept) {
      const file = join(entry.parentPath, entry.name);
      if (file === linksFile) continue;
      const text = await fs.readFile(file, 'utf8');
      for (const secret of ['bonjour', 'spicy']) assert.ok(!text.includes(secret), `${file} holds no build-arg value (${secret})`);
    }
    assert.equal(report.oldImageId, oldId);
    assert.deepEqual(report.tags.sort(), [second, tag].sort());
    assert.equal(report.baseRef, base.baseRef);
    assert.equal(report.baseDigest, base.newDigest);
    assert.equal(report.keepTag, `basewatch-rollback:${oldId.slice(7, 19)}`);
    assert.ok(report.logTail.some((line) => /^Step \d+\/\d+ : RUN echo "\$GREETING"/.test(line)), report.logTail.join('\n'));

    const newId = await idOf(tag);
    assert.equal(newId, report.newImageId);
    assert.equal(await idOf(second), newId, 'every tag moved');
    assert.equal(await catIn(tag, '/etc/base-version'), 'v2\n');
    assert.equal(await catIn(tag, '/etc/patched'), 'yes\n');
    assert.equal(await catIn(tag, '/greeting.txt'), 'bonjour\n', 'the build arg took effect');
    assert.equal(await catIn(tag, '/built.txt'), 'built spicy\n');
    assert.equal(await catIn(tag, '/debug.txt'), 'MISSING\n', 'the target stage was built, not the last one');
    const labels = (await inspectImage(tag)).Config.Labels ?? {};
    assert.equal(labels['org.opencontainers.image.base.name'], base.baseRef);
    assert.equal(labels['org.opencontainers.image.base.digest'], base.newDigest);

    // `check` now links the image by the stamped labels.
    const check = await runBasewatch(['check', '--offline', '--json', tag], { home });
    const checked = (JSON.parse(check.stdout) as { images: Array<{ name: string; base: { via: string; digest: string } | null }> }).images.find((i) => i.name === tag);
    assert.equal(checked?.base?.via, 'label');
    assert.equal(checked?.base?.digest, base.newDigest);

    const rollback = await runBasewatch(['rollback', '--json', tag], { home });
    assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
    assert.equal(await idOf(tag), oldId);
    assert.equal(await idOf(second), oldId);
    assert.equal(await catIn(tag, '/etc/base-version'), 'v1\n');
  });

  it('a rebuild for a plan builds on the digest the plan approved, though the tag has moved on since', async () => {
    const world = getWorld();
    assert.ok(world);
    // v1 local (the app is built on it), v2 pushed: the check saw v2 and the plan approved it.
    // Then, before the build, upstream moved the tag on to v3, which nobody approved.
    const base = await patchedBase(registry);
    const repository = base.baseRef.replace(/:[^:/]*$/, '');
    const baseTag = base.baseRef.slice(repository.length + 1);
    // v2 as a multi-arch tag: the check records the index digest, and that is what the plan approves.
    const approved = await indexOver(registry, repository, baseTag, base.newDigest);
    const v3Id = await makeBaseImage({ ref: base.baseRef, files: { '/etc/base-version': 'v3\n' } });
    const v3Digest = await pushImage(base.baseRef);
    await docker(['tag', base.oldBaseId, base.baseRef]);
    await docker(['image', 'rm', v3Id]).catch(() => '');
    // Multi-stage, the FROM assembled from an ARG the compose file sets, a stage built on a
    // stage, and the same base again as a COPY --from image.
    const dockerfile = [
      'ARG BASE_TAG=none',
      `FROM ${repository}:\${BASE_TAG} AS runtime`,
      'RUN cp /etc/base-version /seen-by-run',
      'FROM runtime',
      `COPY --from=${base.baseRef} /etc/base-version /copied-version`,
      'COPY . /app/',
      '',
    ].join('\n');
    const image = `${uniqueName('planned')}:1`;
    const project = await writeProject({
      Dockerfile: dockerfile,
      'compose.yaml': `services:\n  app:\n    image: ${image}\n    build:\n      context: .\n      args:\n        BASE_TAG: "${baseTag}"\n`,
    });
    const oldId = await buildImage({ context: project, tag: image, buildArgs: { BASE_TAG: baseTag } });
    assert.equal(await catIn(image, '/seen-by-run'), 'v1\n');

    const home = await makeTempDir('home');
    const env = { ...process.env, BASEWATCH_HOME: home, DOCKER_CONFIG: join(world.dir, 'docker-config'), DOCKER_HOST: world.dockerHost };
    const engine = createEngineClient({ host: world.dockerHost, source: 'test', tls: null });
    const result = await rebuildForPlan(
      {
        engine,
        credentials: dockerCredentials({ env }),
        paths: basewatchPaths(env),
        buildLinks: { ok: true, links: [] },
        settings: defaultSettings(),
        roots: [project],
        env,
        cwd: project,
        pulls: new Map(),
      },
      { image, imageId: oldId, baseRef: base.baseRef, digest: approved, policy: 'rebuild', action: { kind: 'rebuild' }, why: 'default policy rebuild' },
      // How the check says it is built: its compose service.
      { dockerfile: join(project, 'Dockerfile'), context: project, target: null, compose: join(project, 'compose.yaml'), service: 'app', args: { BASE_TAG: baseTag } },
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.baseDigest, approved, 'the outcome reports the approved digest');
    assert.deepEqual(result.warnings, []);

    assert.equal(await idOf(image), result.newImageId);
    assert.equal(await catIn(image, '/etc/base-version'), 'v2\n', 'built on the approved v2, not on v3 the tag names now');
    assert.equal(await catIn(image, '/seen-by-run'), 'v2\n');
    assert.equal(await catIn(image, '/copied-version'), 'v2\n', 'the COPY --from of the same base too');
    const labels = (await inspectImage(image)).Config.Labels ?? {};
    assert.equal(labels['org.opencontainers.image.base.name'], base.baseRef);
    assert.equal(labels['org.opencontainers.image.base.digest'], approved);
    // The Dockerfile on disk is untouched, and the context copied into the image is what a plain build copies.
    assert.equal(await fs.readFile(join(project, 'Dockerfile'), 'utf8'), dockerfile);
    assert.equal(await catIn(image, '/app/Dockerfile'), dockerfile);
    assert.equal((await docker(['run', '--rm', image, 'ls', '-A', '/app'])).split('\n').filter(Boolean).sort().join(' '), 'Dockerfile compose.yaml');
    // The local base tag is left where the user had it, as a rebase leaves it.
    assert.equal((await inspectImage(base.baseRef)).Id, base.oldBaseId);

    // Without an approved digest (`basewatch rebuild` by hand), the base is pulled by tag: newest.
    const { code, report } = await rebuild(image, home, { roots: [project] });
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    assert.equal(report.baseDigest, v3Digest);
    assert.equal(await catIn(image, '/etc/base-version'), 'v3\n');
  });

  it('a failing RUN leaves the old image on its tag and reports the build error with the log tail', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({
      Dockerfile: `FROM ${base.baseRef}\nRUN echo fine > /ok.txt\n`,
      'compose.yaml': `services:\n  app:\n    image: ${uniqueName('svc')}:1\n    build: .\n`,
    });
    const image = /image: (\S+)/.exec(await fs.readFile(join(project, 'compose.yaml'), 'utf8'))?.[1] ?? '';
    const oldId = await buildImage({ context: project, tag: image });
    await fs.writeFile(join(project, 'Dockerfile'), `FROM ${base.baseRef}\nRUN echo about to fail && exit 3\n`);
    const home = await makeTempDir('home');
    const { code, report, stdout } = await rebuild(`${join(project, 'compose.yaml')}#app`, home);
    assert.equal(code, 7, stdout);
    assert.equal(report.status, 'failed');
    assert.equal(report.source?.service, 'app');
    assert.match(report.reasons[0] ?? '', /^the build failed: The command '\/bin\/sh -c echo about to fail && exit 3' returned a non-zero code: 3$/);
    assert.ok(report.logTail.includes('about to fail'), report.logTail.join('\n'));
    assert.equal(report.logTail.at(-1), "The command '/bin/sh -c echo about to fail && exit 3' returned a non-zero code: 3");
    assert.equal(report.newImageId, null);
    assert.equal(await idOf(image), oldId, 'the tag did not move');

    // What a user reads on a terminal.
    const text = await cli((io) => runRebuildCommand({ target: 'app', roots: [project], json: false, dryRun: false }, io), home);
    assert.equal(text.code, 7);
    assert.match(text.stdout, new RegExp(`^Rebuild of ${image} failed; its tags were not moved\\n  - the build failed: The command`));
    assert.match(text.stdout, /build output \(last \d+ lines\):\n(.*\n)*    about to fail\n/);
  });

  it('honours .dockerignore, <Dockerfile>.dockerignore, and a Dockerfile outside the context', async () => {
    const baseRef = `${registry}/${uniqueName('base')}:1`;
    await makeBaseImage({ ref: baseRef });
    await pushImage(baseRef);
    const names = { plain: `${uniqueName('ign')}:1`, own: `${uniqueName('own')}:1`, outside: `${uniqueName('out')}:1` };
    const project = await writeProject({
      '.dockerignore': 'secret.txt\nlogs\n',
      Dockerfile: `FROM ${baseRef}\nCOPY . /app/\n`,
      'app.Dockerfile': `FROM ${baseRef}\nCOPY . /app/\n`,
      'app.Dockerfile.dockerignore': 'other.txt\n',
      'kept.txt': 'kept\n',
      'secret.txt': 'secret\n',
      'other.txt': 'other\n',
      'logs/today.log': 'log\n',
      'compose.yaml': [
        'services:',
        `  plain: { image: "${names.plain}", build: . }`,
        `  own: { image: "${names.own}", build: { context: ., dockerfile: app.Dockerfile } }`,
        '',
      ].join('\n'),
    });
    const elsewhere = await writeProject({ 'build.Dockerfile': `FROM ${baseRef}\nCOPY . /app/\nRUN ls -a /app > /listing.txt\n` });
    const home = await makeTempDir('home');

    const plain = await rebuild('plain', home, { roots: [project] });
    assert.equal(plain.report.status, 'rebuilt', JSON.stringify(plain.report, null, 2));
    assert.ok(plain.report.warnings.some((w) => /no local image/.test(w)));
    assert.equal(await catIn(names.plain, '/app/kept.txt'), 'kept\n');
    assert.equal(await catIn(names.plain, '/app/secret.txt'), 'MISSING\n');
    assert.equal(await catIn(names.plain, '/app/logs/today.log'), 'MISSING\n');

    const own = await rebuild(`${join(project, 'compose.yaml')}#own`, home);
    assert.equal(own.report.status, 'rebuilt', JSON.stringify(own.report, null, 2));
    assert.equal(await catIn(names.own, '/app/other.txt'), 'MISSING\n', 'app.Dockerfile.dockerignore applied');
    assert.equal(await catIn(names.own, '/app/secret.txt'), 'secret\n', 'and the context .dockerignore not');

    // Linked images exist (a link to a missing one is refused as a typo): built once by hand first.
    await buildImage({ context: project, dockerfile: join(elsewhere, 'build.Dockerfile'), tag: names.outside });
    const linked = await cli(
      (io) => runLinkCommand({ image: names.outside, dockerfile: join(elsewhere, 'build.Dockerfile'), context: project, target: null, buildArgs: [], json: true }, io),
      home,
    );
    assert.equal(linked.code, 0, linked.stderr);
    const outside = await rebuild(names.outside, home);
    assert.equal(outside.report.status, 'rebuilt', JSON.stringify(outside.report, null, 2));
    assert.equal(await catIn(names.outside, '/app/kept.txt'), 'kept\n');
    const listing = await catIn(names.outside, '/listing.txt');
    assert.doesNotMatch(listing, /\.dockerfile\./, 'the generated Dockerfile is not copied by COPY . /app/');
    assert.doesNotMatch(listing, /secret\.txt/);
  });

  it('a failing smoke test keeps the tags and removes the new image', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nRUN echo app > /app.txt\n` });
    const tag = `${uniqueName('smoke')}:1`;
    const oldId = await buildImage({ context: project, tag });
    const home = await makeTempDir('home');
    const set = await runBasewatch(['config', 'set', 'smokeTest', 'test -f /etc/does-not-exist'], { home });
    assert.equal(set.code, 0, set.stderr);
    await cli((io) => runLinkCommand({ image: tag, dockerfile: join(project, 'Dockerfile'), context: null, target: null, buildArgs: [], json: true }, io), home);

    const { code, report } = await rebuild(tag, home);
    assert.equal(code, 7, JSON.stringify(report, null, 2));
    assert.equal(report.status, 'failed');
    assert.match(report.reasons[0] ?? '', /^the smoke test `test -f \/etc\/does-not-exist` exited 1/);
    assert.equal(report.newImageId, null);
    assert.equal(await idOf(tag), oldId);
    assert.equal(report.keepTag, null);
  });

  it('the engine reads a build to its end although a step is silent for longer than a request may take', async () => {
    const world = getWorld();
    assert.ok(world);
    const baseRef = `${registry}/${uniqueName('base')}:1`;
    await makeBaseImage({ ref: baseRef });
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nRUN sleep 3 && echo done > /done.txt\nRUN false\n` });
    const engine = createEngineClient({ host: world.dockerHost, source: 'test', tls: null }, { timeoutMs: 1500 });
    const lines: string[] = [];
    await assert.rejects(
      engine.buildImage({ dir: project, dockerfile: 'Dockerfile' }, { buildArgs: {}, target: null, labels: {}, pull: false, onLogLine: (line) => lines.push(line) }),
      (error: unknown) => {
        assert.ok(error instanceof BuildError, String(error));
        assert.equal(error.buildError, "The command '/bin/sh -c false' returned a non-zero code: 1");
        assert.ok(error.logTail.some((line) => line === 'Step 3/3 : RUN false'), error.logTail.join('\n'));
        return true;
      },
    );
    assert.ok(lines.includes('Step 2/3 : RUN sleep 3 && echo done > /done.txt'));
  });
});
