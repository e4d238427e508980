// `basewatch daemon` while dockerd restarts underneath it: status says the engine is
// reconnecting and why, the daemon keeps running, it reconnects when dockerd is back, runs a
// full cycle, and still reacts to a build. Against a private dockerd of this test's own (see
// helpers/private-engine.ts): the shared test engine is in use by other test files and must
// never be restarted.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { normalizeImageRef } from '../src/refs/image-ref.js';
import { type Daemon, daemonHome, daemonStatus, isRunning, killDaemon, lastCycle, startDaemon, waitFor, waitUntilIdle } from './helpers/daemon.js';
import { type PrivateEngine, privateEngineSkip, startPrivateEngine } from './helpers/private-engine.js';
import { docker, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, uniqueName, writeProject } from './helpers/world.js';

describe('basewatch daemon across a dockerd restart', { skip: privateEngineSkip() }, () => {
  let engine: PrivateEngine | undefined;
  let daemon: Daemon | undefined;
  let home: string;
  let project: string;
  let baseRef: string;
  let baseId: string;
  let baseDigest: string;
  // Both logs, so a failure says what the daemon and the private dockerd were doing.
  const context = (): string =>
    `--- daemon output ---\n${daemon?.output() ?? '(not started)'}\n--- private dockerd log, last lines ---\n${engine?.logTail() ?? '(not started)'}`;
  const privateDocker = (args: string[], cwd?: string) => docker(args, { env: { DOCKER_HOST: engine!.host }, ...(cwd === undefined ? {} : { cwd }) });

  before(async () => {
    const world = getWorld()!;
    engine = await startPrivateEngine();
    // The base as upstream published it; the private engine (a network namespace of its own)
    // cannot pull, so it gets the same image through `docker save` / `docker load`.
    baseRef = `${world.registry}/${uniqueName('rbase')}:1`;
    baseId = await makeBaseImage({ ref: baseRef });
    baseDigest = await pushImage(baseRef);
    const archive = join(await makeTempDir('rbase'), 'base.tar');
    await docker(['save', '-o', archive, baseRef]);
    await privateDocker(['load', '-i', archive]);
    project = await writeProject({ 'Dockerfile': `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'built after the restart\n' });

    home = await daemonHome('restart-home', [project]);
    daemon = startDaemon(home, { DOCKER_HOST: engine.host });
  });

  after(async () => {
    await killDaemon(daemon);
    await engine?.dispose();
  });

  it('connects to the engine in DOCKER_HOST and runs its startup cycle', async () => {
    const ready = await waitUntilIdle(home, 1, context);
    assert.equal(ready.engine.state, 'connected', JSON.stringify(ready.engine));
    assert.equal(ready.engine.host, engine!.host);
    assert.equal(ready.cycles.last?.trigger.kind, 'startup');
    assert.equal(ready.cycles.last?.errors, 0, JSON.stringify(await lastCycle(home)));
  });

  it('says "reconnecting" and why while dockerd is down, and keeps running', async () => {
    await engine!.stop();
    // The first status may still say the connection closed; after the first failed attempt it
    // names the socket it cannot reach.
    let seen: unknown = null;
    const unreachable = `cannot reach ${engine!.host} (DOCKER_HOST): `;
    const down = await waitFor('status: reconnecting, naming the unreachable socket', async () => {
      const s = await daemonStatus(home);
      seen = s?.engine ?? null;
      return s?.engine.state === 'reconnecting' && s.engine.problem?.startsWith(unreachable) ? s : null;
    }, 20_000, () => `last engine status: ${JSON.stringify(seen)}\n${context()}`);
    assert.notEqual(down.engine.nextAttemptAt, null, JSON.stringify(down.engine));
    assert.ok(isRunning(daemon!), 'the daemon did not exit with its engine');

    const shown = await runBasewatch(['status'], { home });
    assert.equal(shown.code, 0, shown.stderr);
    const line = shown.stdout.split('\n').find((text) => text.startsWith('Engine ')) ?? '';
    assert.ok(line.startsWith(`Engine      reconnecting: ${unreachable}`), shown.stdout);
    assert.match(line, /; next try \S/);
  });

  it('reconnects when dockerd is back and runs a full cycle', async () => {
    const earlier = (await daemonStatus(home))!;
    const restartedAt = Date.now();
    await engine!.start();
    const answering = Date.now();
    const back = await waitFor('status: connected again', async () => {
      const s = await daemonStatus(home);
      return s?.engine.state === 'connected' ? s : null;
    }, 30_000, context);
    const reconnectedAfter = Date.now() - answering;
    assert.equal(back.engine.problem, null);
    assert.equal(back.engine.nextAttemptAt, null);
    assert.equal(back.pid, earlier.pid, 'the same daemon process');
    process.stdout.write(`# dockerd answered ${answering - restartedAt} ms after start; the daemon was connected ${reconnectedAfter} ms later\n`);

    // Events missed while the engine was gone are not replayed: a full cycle catches up.
    const cycle = await waitFor('a full cycle after the reconnect', async () => {
      const last = await lastCycle(home);
      return last !== null && last.trigger.kind === 'engine' && last.trigger.detail === 'engine reconnected' && Date.parse(last.startedAt) >= restartedAt ? last : null;
    }, 20_000, context);
    assert.equal(cycle.report.engine?.host, engine!.host);
    assert.deepEqual(cycle.report.errors, []);
    const base = cycle.report.dockerfiles.find((entry) => entry.path === join(project, 'Dockerfile'))?.bases[0];
    assert.equal(base?.latest, baseDigest, JSON.stringify(cycle.report.dockerfiles));
  });

  it('keeps working: an image built after the restart is checked against its base', async () => {
    await waitUntilIdle(home, 1, context);
    const app = `${uniqueName('rapp')}:1`;
    const builtAt = Date.now();
    await privateDocker(['build', '-t', app, project], project);
    const cycle = await waitFor(`an engine-event cycle for ${app}`, async () => {
      const last = await lastCycle(home);
      return last !== null && last.trigger.kind === 'engine' && (last.trigger.detail ?? '').includes(app) && Date.parse(last.startedAt) >= builtAt ? last : null;
    }, 20_000, context);
    const image = cycle.report.images.find((entry) => entry.tags.includes(app) || entry.name.endsWith(app));
    assert.ok(image, JSON.stringify(cycle.report.images.map((entry) => entry.name)));
    assert.equal(image.base?.ref, normalizeImageRef(baseRef), JSON.stringify(image));
    assert.equal(image.base?.via, 'layers');
    assert.equal(image.base?.localId, baseId);
    assert.equal(image.base?.latest, baseDigest, 'checked upstream');
    assert.notEqual(image.status, 'error', image.reason);
  });

  it('stops cleanly on SIGTERM after all that', async () => {
    daemon!.child.kill('SIGTERM');
    const { code, signal } = await daemon!.exited;
    assert.equal(signal, null, daemon!.output());
    assert.equal(code, 0, daemon!.output());
    assert.match(readFileSync(join(home, 'logs', 'daemon.log'), 'utf8'), /engine is back: listening to image events again/);
  });
});
