import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { EngineEvent } from '../engine/engine-events.js';
import type { ActionOutcome, CycleResult } from '../record/cycle-result.js';
import type { CheckReport } from '../report/check-report.js';
import { type CycleRequest, CycleQueue } from './cycle-queue.js';
import { EngineEventGate } from './engine-event-gate.js';
import { silentLogger } from '../util/logger.js';

const report = { engine: null, offline: false, roots: [], images: [], dockerfiles: [], compose: [], registries: [], errors: [] } as unknown as CheckReport;
const rebased: ActionOutcome = {
  target: 'app:1',
  kind: 'rebased',
  reason: '',
  baseRef: 'localhost:5000/base:1',
  digest: 'sha256:d',
  oldImageId: 'sha256:old',
  newImageId: 'sha256:new',
  packages: null,
  containersOnOldImage: [],
  warnings: [],
};
const tag = (id: string, name: string): EngineEvent => ({ action: 'tag', id, name, time: 0 });
const tick = () => new Promise((resolve) => setImmediate(resolve));

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/**
 * The daemon's wiring, with fakes for the pipeline and the notifier: cycles finish when the test
 * says so, notifications take until the test says so, and forwarded events queue a cycle.
 */
function daemonLike() {
  const runs: Array<{ request: CycleRequest; finish: (actions?: ActionOutcome[]) => void; fail: (error: Error) => void }> = [];
  const notifications: Array<ReturnType<typeof gate>> = [];
  let events: EngineEventGate;
  const queue = new CycleQueue({
    run: (request) =>
      new Promise<CycleResult>((resolve, reject) => {
        runs.push({ request, fail: reject, finish: (actions = []) => resolve({ trigger: request.trigger, startedAt: '', finishedAt: '', report, actions, plan: [], dryRun: request.dryRun }) });
      }),
    logger: silentLogger,
    onFinished: async (result) => {
      events.cycleDone(result);
      const sending = gate();
      notifications.push(sending);
      await sending.wait;
    },
    onFailed: () => events.cycleFailed(),
  });
  events = new EngineEventGate({
    running: () => queue.running,
    forward: (image) => queue.enqueue({ trigger: { kind: 'engine', detail: image }, images: [image], dryRun: false }),
    logger: silentLogger,
  });
  return { queue, events, runs, notifications };
}

it('holds events while a cycle works and lets only the ones it did not cause through', async () => {
  const { queue, events, runs, notifications } = daemonLike();
  queue.enqueue({ trigger: { kind: 'startup' }, images: [], dryRun: false });
  await tick();
  events.push('app:1', tag('sha256:new', 'app:1'));
  events.push('web:1', tag('sha256:web', 'web:1'));
  assert.equal(events.held, 2);
  assert.equal(queue.pending, 0, 'nothing queued before the cycle says what it did');
  runs[0]!.finish([rebased]);
  await tick();
  assert.equal(events.held, 0);
  assert.deepEqual(queue.pending, 1);
  notifications[0]!.open();
  await tick();
  assert.deepEqual(runs[1]?.request.images, ['web:1'], 'the rebase\'s own tag event started nothing');
});

it('an event from someone else while notifications are sent starts the next cycle right after', async () => {
  const { queue, events, runs, notifications } = daemonLike();
  queue.enqueue({ trigger: { kind: 'startup' }, images: [], dryRun: false });
  await tick();
  runs[0]!.finish([rebased]);
  await tick();
  assert.equal(notifications.length, 1, 'the cycle is telling the user');
  assert.notEqual(queue.running?.result, null, 'its work is done');
  // A late event of the cycle's own rebase, and someone else's build.
  events.push('app:1', tag('sha256:new', 'app:1'));
  events.push('db:1', tag('sha256:db', 'db:1'));
  assert.equal(events.held, 0, 'nothing is parked for a cycle that may never come');
  assert.equal(queue.pending, 1);
  notifications[0]!.open();
  await tick();
  assert.equal(runs.length, 2);
  assert.deepEqual(runs[1]!.request.images, ['db:1']);
  assert.equal(runs[1]!.request.trigger.kind, 'engine');
  // That cycle does nothing, so nothing follows: no loop.
  runs[1]!.finish([]);
  await tick();
  notifications[1]!.open();
  await tick();
  await tick();
  assert.equal(runs.length, 2);
  assert.equal(queue.running, null);
});

it('a cycle\'s own events, during its work or after, start no other cycle', async () => {
  const { queue, events, runs, notifications } = daemonLike();
  queue.enqueue({ trigger: { kind: 'startup' }, images: [], dryRun: false });
  await tick();
  events.push('app:1', tag('sha256:new', 'app:1'));
  events.push('localhost:5000/base@sha256:d', { action: 'pull', id: 'localhost:5000/base@sha256:d', name: 'localhost:5000/base@sha256:d', time: 0 });
  runs[0]!.finish([rebased]);
  await tick();
  events.push('app:1', tag('sha256:old', 'app:1'));
  assert.equal(queue.pending, 0);
  notifications[0]!.open();
  await tick();
  await tick();
  assert.equal(runs.length, 1);
  assert.equal(queue.running, null);
});

it('lets held events through when the cycle fails, since nothing says what it did', async () => {
  const { queue, events, runs } = daemonLike();
  queue.enqueue({ trigger: { kind: 'startup' }, images: [], dryRun: false });
  await tick();
  events.push('web:1', tag('sha256:web', 'web:1'));
  runs[0]!.fail(new Error('engine gone'));
  await tick();
  assert.equal(events.held, 0);
  assert.deepEqual(runs[1]?.request.images, ['web:1']);
});

it('passes events straight on when no cycle runs', () => {
  const forwarded: string[] = [];
  const events = new EngineEventGate({ running: () => null, forward: (image) => forwarded.push(image), logger: silentLogger });
  events.push('app:1', tag('sha256:x', 'app:1'));
  assert.deepEqual(forwarded, ['app:1']);
});
