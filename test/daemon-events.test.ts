// The daemon and engine events, against the real engine, with the pipeline replaced by a fake
// (DaemonOptions.runCycle) and a real webhook that answers slowly: a `docker tag` by someone else
// while a cycle's notification is still being sent starts the next cycle right after it; the
// tag the daemon's own cycle made starts none.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setSetting } from '../src/config/config-store.js';
import { askDaemon } from '../src/daemon/control-client.js';
import type { CycleRequest } from '../src/daemon/cycle-queue.js';
import { DaemonController } from '../src/daemon/daemon-controller.js';
import { type LogSink, createLogger } from '../src/util/logger.js';
import { basewatchPaths } from '../src/config/paths.js';
import type { ActionOutcome, CycleResult } from '../src/record/cycle-result.js';
import type { CheckReport } from '../src/report/check-report.js';
import { startHeldWebhook } from './helpers/held-webhook.js';
import { recordCreatedImage } from './helpers/temp.js';
import { docker, getWorld, makeBaseImage, makeTempDir, removeImages, skipWithoutWorld, uniqueName } from './helpers/world.js';

const report = { engine: null, offline: false, roots: [], images: [], dockerfiles: [], compose: [], registries: [], errors: [] } as unknown as CheckReport;

async function waitFor<T>(what: string, probe: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs: number, log: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n--- daemon log ---\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('daemon engine events', { skip: skipWithoutWorld() }, () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('someone else\'s tag during the notify phase starts a cycle right after it; the daemon\'s own does not', { timeout: 120_000 }, async () => {
    const world = getWorld()!;
    const ownBase = `${uniqueName('evown-base')}:1`;
    const otherBase = `${uniqueName('evother-base')}:1`;
    const ownId = await makeBaseImage({ ref: ownBase });
    await makeBaseImage({ ref: otherBase });
    const own = `${uniqueName('evown')}:1`;
    const foreign = `${uniqueName('evforeign')}:1`;
    recordCreatedImage(own);
    recordCreatedImage(foreign);
    cleanup.push(() => removeImages([own, foreign, ownBase, otherBase]));

    // A webhook that answers only when the test lets it.
    const webhook = await startHeldWebhook();
    cleanup.push(() => webhook.close());

    const home = await makeTempDir('daemon-events');
    const env: NodeJS.ProcessEnv = { ...process.env, BASEWATCH_HOME: home, DOCKER_HOST: world.dockerHost, DOCKER_CONFIG: join(world.dir, 'docker-config') };
    for (const key of ['DOCKER_CONTEXT', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'DISPLAY']) delete env[key];
    const paths = basewatchPaths(env);
    setSetting(paths.config, 'notifyWebhook', webhook.url);

    const cycles: CycleRequest[] = [];
    const runCycle = async (request: CycleRequest): Promise<CycleResult> => {
      cycles.push(request);
      const done = (actions: ActionOutcome[]): CycleResult => ({ trigger: request.trigger, startedAt: '', finishedAt: '', report, actions, plan: [], dryRun: false });
      if (request.trigger.kind !== 'cli') return done([]);
      // What a rebase does to the engine: it moves a tag, and the engine reports that.
      await docker(['tag', ownBase, own]);
      return done([{ target: own, kind: 'rebased', reason: 'rebased', baseRef: ownBase, digest: 'sha256:fresh', oldImageId: 'sha256:before', newImageId: ownId, packages: null, containersOnOldImage: [], warnings: [] }]);
    };
    const lines: string[] = [];
    const sink: LogSink = { write: (line) => void lines.push(line), close: () => {} };
    const log = () => lines.join('');
    const daemon = new DaemonController({ paths, env, logger: createLogger({ sinks: [sink], level: 'debug' }), version: 'test', logFile: join(home, 'daemon.log'), runCycle, debounceMs: 50 });
    assert.deepEqual(await daemon.start(), { ok: true });
    cleanup.push(() => daemon.stop());
    await waitFor('the engine watcher and the startup cycle', () => {
      const status = daemon.status();
      return status.engine.state === 'connected' && status.cycles.completed >= 1 && status.cycles.running === null;
    }, 20_000, log);

    const answer = await askDaemon({ runtime: paths.runtime }, { kind: 'cycle', reason: 'test' });
    assert.equal(answer?.actions[0]?.kind, 'rebased');
    await webhook.arrived;
    assert.match(webhook.bodies[0] ?? '', /Rebased/);
    // The cycle's work is done, its notification is on its way: now someone else tags an image.
    await docker(['tag', otherBase, foreign]);
    await waitFor('the tag event to be seen', () => lines.some((line) => line.includes('engine event') && line.includes(foreign.split(':')[0]!)), 10_000, log);
    // Past the debounce (50 ms), the event waits in the queue, not parked for a later cycle.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(daemon.status().cycles.pending, 1, `someone else's event is queued while the notification is sent\n${log()}`);
    assert.equal(webhook.bodies.length, 1, 'the notification is still being sent');
    const before = cycles.length;
    webhook.release();
    // The first cycle after the notification covers it. (Other tests share the engine: their
    // events may be folded into the same cycle, so look for ours among its images.)
    const next = await waitFor('the next cycle', () => cycles[before], 10_000, log);
    assert.equal(next.trigger.kind, 'engine', log());
    assert.ok(next.images.some((image) => image.includes(foreign.split(':')[0]!)), JSON.stringify(next));
    assert.ok(!next.images.some((image) => image.includes(own.split(':')[0]!)), `the daemon's own tag is not in it: ${JSON.stringify(next)}`);
    // And no cycle ever for the daemon's own tag. (The engine is shared with other tests running
    // meanwhile: their events may start cycles here, so count only ours.)
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const forOwn = cycles.filter((cycle) => cycle.trigger.kind === 'engine' && cycle.images.some((image) => image.includes(own.split(':')[0]!)));
    assert.deepEqual(forOwn, [], cycles.map((cycle) => `${cycle.trigger.kind}: ${cycle.trigger.detail ?? ''}`).join('\n'));
  });
});
