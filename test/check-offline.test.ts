// `basewatch check --offline` against the real engine: linking images built the way users build
// them, and clear errors for bad input.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
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
  engine: { host: string; source: string; apiVersion: string } | null;
  images: Array<{
    name: string;
    tags: string[];
    id: string;
    platform: string;
    base: { ref: string; digest: string | null; via: string; latest: string | null; localId: string | null; newer: unknown; newerReason: unknown; eol: unknown } | null;
    source: { dockerfile: string | null; context: string | null; target: string | null; compose: string | null; service: string | null; args: Record<string, string> } | null;
    status: string;
    reason: string;
  }>;
  dockerfiles: Array<{ path: string; bases: Array<Record<string, unknown>>; errors: Array<{ line: number | null; message: string }> }>;
  compose: Array<{ path: string; services: Array<{ name: string; args: Record<string, string> }> }>;
  errors: Array<{ where: string; message: string }>;
}

async function checkJson(root: string, env: Record<string, string | undefined> = {}): Promise<{ code: number | null; report: Report; stderr: string }> {
  const result = await runBasewatch(['check', '--offline', '--json', '--root', root], { env });
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    assert.fail(`check --json printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, report, stderr: result.stderr };
}

function imageNamed(report: Report, name: string): Report['images'][number] {
  const image = report.images.find((candidate) => candidate.tags.includes(name));
  assert.ok(image, `no image ${name} in report: ${report.images.map((i) => i.name).join(', ')}`);
  return image;
}

describe('basewatch check --offline (real engine)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  let baseRef = '';
  let baseDigest = '';
  let baseId = '';

  before(async () => {
    registry = getWorld()?.registry ?? '';
    baseRef = `${registry}/${uniqueName('pybase')}:3.12-slim`;
    baseId = await makeBaseImage({ ref: baseRef, env: { LANG: 'C.UTF-8' } });
    baseDigest = await pushImage(baseRef);
  });

  it('links an image built with plain docker build (no labels) to its base by layers', async () => {
    const project = await writeProject({
      'Dockerfile': `FROM ${baseRef}\nCOPY app.txt /srv/app.txt\nCMD ["cat", "/srv/app.txt"]\n`,
      'app.txt': 'hello\n',
    });
    const tag = `${uniqueName('plain')}:1`;
    const id = await buildImage({ context: project, tag });
    const inspected = await inspectImage(tag);
    assert.equal(inspected.Config.Labels?.['org.opencontainers.image.base.name'], undefined, 'fixture must carry no base label');

    const { code, report } = await checkJson(project);
    assert.equal(code, 0, JSON.stringify(report.errors));
    assert.ok(report.engine);
    // The newest API the engine speaks, as it says itself (1.41 from Engine 20.10, 1.51 from 28.5).
    assert.equal(report.engine.apiVersion, await docker(['version', '--format', '{{.Server.APIVersion}}']).then((out) => out.trim()));
    const image = imageNamed(report, tag);
    assert.equal(image.id, id);
    assert.equal(image.platform, 'linux/amd64');
    assert.deepEqual(image.base, { ref: baseRef, digest: baseDigest, via: 'layers', latest: null, localId: baseId, newer: null, newerReason: null, eol: null });
    assert.equal(image.status, 'unknown');
    assert.match(image.reason, /offline/);

    const [dockerfile] = report.dockerfiles;
    assert.equal(dockerfile?.path, path.join(project, 'Dockerfile'));
    assert.deepEqual(dockerfile?.bases, [
      {
        ref: baseRef,
        kind: 'from',
        line: 1,
        stage: null,
        final: true,
        pinned: null,
        platform: null,
        local: baseDigest,
        latest: null,
        status: 'unknown',
        reason: 'not checked upstream (offline)',
        checkedAt: null,
        newer: null,
        newerReason: null,
        eol: null,
      },
    ]);
  });

  it('prints a table that fits 80 columns, the image to look at listed and its base only counted', async () => {
    const project = await writeProject({
      'Dockerfile': `FROM ${baseRef}\nCOPY app.txt /srv/app.txt\n`,
      'app.txt': 'narrow\n',
    });
    const tag = `${uniqueName('narrow')}:1`;
    await buildImage({ context: project, tag });
    // Not a terminal: COLUMNS says the width, as a pager or a script would.
    const human = await runBasewatch(['check', '--offline', '--root', project], { cwd: project, env: { COLUMNS: '80' } });
    assert.equal(human.code, 0, human.stderr);
    const wide = human.stdout.split('\n').filter((line) => [...line].length > 80);
    assert.deepEqual(wide, [], human.stdout);
    const row = human.stdout.split('\n').find((line) => line.startsWith(`  ${tag} `));
    assert.match(row ?? '', /\sunknown\s/, human.stdout);
    // The base is no one's problem: counted, listed only with --all.
    assert.ok(!human.stdout.split('\n').some((line) => line.startsWith(`  ${baseRef} `)), human.stdout);
    assert.match(human.stdout, /Not listed: \d+ base images?\b/);
    const all = await runBasewatch(['check', '--offline', '--all', '--root', project], { cwd: project, env: { COLUMNS: '80' } });
    assert.deepEqual(all.stdout.split('\n').filter((line) => [...line].length > 80), [], all.stdout);
    assert.match(all.stdout, /\nBase images \(\d+\)\n/);
  });

  it('links a compose-built image with its Dockerfile, context, args and target', async () => {
    const imageTag = `${uniqueName('composed')}:dev`;
    const project = await writeProject({
      'compose.yaml': [
        'services:',
        '  api:',
        `    image: ${imageTag}`,
        '    build:',
        '      context: ./api',
        '      dockerfile: build/app.Dockerfile',
        '      target: runtime',
        '      args:',
        '        FLAVOUR: ${FLAVOUR:-slim}',
        '        GREETING: hi',
        '',
      ].join('\n'),
      'api/build/app.Dockerfile': [
        'ARG FLAVOUR=fat',
        // The legacy builder builds every stage, so the unused one must exist too.
        `FROM ${baseRef.replace(/:[^:]*$/, '')}:3.12-\${FLAVOUR} AS unused`,
        `FROM ${baseRef} AS runtime`,
        'ARG GREETING',
        'RUN echo "$GREETING" > /greeting',
        'FROM runtime AS debug',
        'RUN echo debug > /debug',
        '',
      ].join('\n'),
    });
    const context = path.join(project, 'api');
    await buildImage({
      context,
      tag: imageTag,
      dockerfile: 'build/app.Dockerfile',
      buildArgs: { FLAVOUR: 'slim', GREETING: 'hi' },
      target: 'runtime',
    });

    const { code, report } = await checkJson(project);
    assert.equal(code, 0, JSON.stringify(report.errors));
    const image = imageNamed(report, imageTag);
    assert.deepEqual(image.source, {
      dockerfile: path.join(context, 'build/app.Dockerfile'),
      context,
      target: 'runtime',
      compose: path.join(project, 'compose.yaml'),
      service: 'api',
      // Keys only: a build arg's value can be a secret.
      args: { FLAVOUR: '***', GREETING: '***' },
    });
    const composeFile = report.compose.find((file) => file.path === path.join(project, 'compose.yaml'));
    assert.deepEqual(composeFile?.services.find((service) => service.name === 'api')?.args, { FLAVOUR: '***', GREETING: '***' });
    assert.equal(image.base?.ref, baseRef);
    assert.equal(image.base?.via, 'layers');
    assert.equal(image.base?.digest, baseDigest);

    const dockerfile = report.dockerfiles.find((file) => file.path === path.join(context, 'build/app.Dockerfile'));
    assert.ok(dockerfile);
    const refs = dockerfile.bases.map((base) => [base['ref'], base['line'], base['final']]);
    assert.deepEqual(refs, [
      [baseRef, 2, false],
      [baseRef, 3, true],
    ]);
  });

  it('follows a base whose tag moved on: the image stays linked to the digest it was built on', async () => {
    const movingRef = `${registry}/${uniqueName('moving')}:1`;
    await makeBaseImage({ ref: movingRef, files: { '/etc/version': 'one\n' } });
    const oldDigest = await pushImage(movingRef);
    const project = await writeProject({
      'compose.yaml': `services:\n  app:\n    image: ${uniqueName('onold')}:1\n    build: .\n`,
      'Dockerfile': `FROM ${movingRef}\nCOPY . /src\n`,
    });
    const composeImage = (await fs.readFile(path.join(project, 'compose.yaml'), 'utf8')).match(/image: (\S+)/)?.[1] ?? '';
    await buildImage({ context: project, tag: composeImage });
    // A newer base under the same tag, pushed and now the local copy: the old one keeps only its RepoDigest.
    const newId = await makeBaseImage({ ref: movingRef, files: { '/etc/version': 'two\n' } });
    const newDigest = await pushImage(movingRef);
    assert.notEqual(newDigest, oldDigest);

    const { report } = await checkJson(project);
    const image = imageNamed(report, composeImage);
    assert.equal(image.base?.ref, movingRef);
    assert.equal(image.base?.digest, oldDigest);
    assert.notEqual(image.base?.localId, newId);
    const dockerfile = report.dockerfiles.find((file) => file.path === path.join(project, 'Dockerfile'));
    assert.equal(dockerfile?.bases[0]?.['local'], newDigest, 'the Dockerfile would now build on the new local copy');
  });

  it('links an image whose Dockerfile adds no layer (ENV only) through its history', async () => {
    const project = await writeProject({ 'Dockerfile': `FROM ${baseRef}\nENV MODE=production\n` });
    const tag = `${uniqueName('envonly')}:1`;
    await buildImage({ context: project, tag });
    const { report } = await checkJson(project);
    const image = imageNamed(report, tag);
    assert.equal(image.base?.ref, baseRef);
    assert.equal(image.base?.via, 'layers');
    // ...and the base is not mistaken for being built on the ENV-only image.
    assert.equal(imageNamed(report, baseRef).base, null);
  });

  it('prefers OCI base labels when an image carries them', async () => {
    const labelled = `${registry}/${uniqueName('claimed')}:7`;
    const project = await writeProject({
      'Dockerfile': [
        `FROM ${baseRef}`,
        `LABEL org.opencontainers.image.base.name="${labelled}" org.opencontainers.image.base.digest="${baseDigest}"`,
        '',
      ].join('\n'),
    });
    const tag = `${uniqueName('labelled')}:1`;
    await buildImage({ context: project, tag });
    const { report } = await checkJson(project);
    const image = imageNamed(report, tag);
    assert.deepEqual(image.base, { ref: labelled, digest: baseDigest, via: 'label', latest: null, localId: null, newer: null, newerReason: null, eol: null });
  });

  it('reports a broken Dockerfile with file and line, and still reports the rest', async () => {
    const project = await writeProject({
      'good/Dockerfile': `FROM ${baseRef}\n`,
      'bad/Dockerfile': 'ARG TAG\nFROM python:${TAG}\n',
      'worse/Containerfile': 'RUN echo no from\n',
    });
    const { code, report } = await checkJson(project);
    assert.equal(code, 4);
    const bad = report.dockerfiles.find((file) => file.path === path.join(project, 'bad/Dockerfile'));
    assert.equal(bad?.errors[0]?.line, 2);
    assert.match(bad?.errors[0]?.message ?? '', /python:/);
    const worse = report.dockerfiles.find((file) => file.path === path.join(project, 'worse/Containerfile'));
    assert.ok((worse?.errors.length ?? 0) > 0);
    assert.ok(report.errors.some((error) => error.where === `${path.join(project, 'bad/Dockerfile')}:2`));
    const good = report.dockerfiles.find((file) => file.path === path.join(project, 'good/Dockerfile'));
    assert.equal(good?.bases[0]?.['ref'], baseRef);
    assert.ok(report.images.length > 0, 'images are still reported');

    const human = await runBasewatch(['check', '--offline', '--root', project]);
    assert.equal(human.code, 4);
    // Shown from the name of the root typed in, so the line fits.
    assert.match(human.stdout, new RegExp(`\\n  ${path.join(path.basename(project), 'bad/Dockerfile').replace(/\//g, '\\/')}:2: `));
  });

  it('flags a base past its end of life, offline, with its successor', async () => {
    const project = await writeProject({ Dockerfile: 'FROM python:3.8-slim\nCOPY . /app\n' });
    const { report } = await checkJson(project);
    const base = report.dockerfiles[0]?.bases[0] as { eol: { status: string; message: string; successor: string | null } | null } | undefined;
    assert.equal(base?.eol?.status, 'past');
    assert.match(base?.eol?.message ?? '', /^Python 3\.8 reached end of life on 2024-10-07; move to Python 3\.\d+$/);
    const human = await runBasewatch(['check', '--offline', '--root', project]);
    // The warning sits on the line under its FROM (the table fits 80 columns).
    assert.match(human.stdout, /FROM python:3\.8-slim.*\n\s+Python 3\.8 reached end of life/);
  });

  it('says which engine endpoints it tried when none answers, and still reports the files', async () => {
    const dir = await makeTempDir('noengine');
    const socket = path.join(dir, 'docker.sock');
    const project = await writeProject({ 'Dockerfile': 'FROM alpine:3.20\n' });
    const { code, report } = await checkJson(project, { DOCKER_HOST: `unix://${socket}` });
    assert.equal(code, 3);
    assert.equal(report.engine, null);
    const engineError = report.errors.find((error) => error.where === 'engine');
    assert.ok(engineError);
    assert.ok(engineError.message.includes(socket), engineError.message);
    assert.match(engineError.message, /DOCKER_HOST/);
    assert.equal(report.dockerfiles[0]?.bases[0]?.['ref'], 'docker.io/library/alpine:3.20');

    const human = await runBasewatch(['check', '--offline', '--root', project], { env: { DOCKER_HOST: `unix://${socket}` } });
    assert.equal(human.code, 3);
    assert.ok(human.stdout.includes(socket));
  });

  it('reports an unreadable folder and a missing root by path, and goes on', async () => {
    const project = await writeProject({ 'ok/Dockerfile': `FROM ${baseRef}\n`, 'locked/Dockerfile': 'FROM x\n' });
    const locked = path.join(project, 'locked');
    await fs.chmod(locked, 0o000);
    try {
      // root reads any folder: run basewatch as an ordinary user, as a developer would.
      const asUser = process.getuid?.() === 0;
      if (asUser) await fs.chmod(project, 0o755);
      const args = ['check', '--offline', '--json', '--root', project, '--root', path.join(project, 'missing')];
      const result = asUser
        ? await runAsNobody(args)
        : await runBasewatch(args);
      const report = JSON.parse(result.stdout) as Report;
      assert.ok(
        report.errors.some((error) => error.where === locked && /permission denied/.test(error.message)),
        JSON.stringify(report.errors),
      );
      assert.ok(
        report.errors.some((error) => error.where === path.join(project, 'missing') && /no such file/.test(error.message)),
        JSON.stringify(report.errors),
      );
      assert.ok(report.dockerfiles.some((file) => file.path === path.join(project, 'ok/Dockerfile')));
    } finally {
      await fs.chmod(locked, 0o755);
    }
  });
});

/** Runs the CLI as user nobody (via setpriv), with a home it can write. */
async function runAsNobody(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = await makeTempDir('nobody');
  await fs.chmod(home, 0o777);
  const { repoRoot } = await import('./helpers/world.js');
  const { run } = await import('./world/process.js');
  return run(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(repoRoot, 'bin/basewatch.js'), ...args],
    { cwd: home, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, BASEWATCH_HOME: home, NO_COLOR: '1', DOCKER_HOST: 'unix:///nonexistent.sock' }, timeoutMs: 60_000 },
  );
}
void docker;
