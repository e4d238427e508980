import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CycleResult } from '../record/cycle-result.js';
import type { CheckReport } from '../report/check-report.js';
import { type CycleRequest, CycleQueue, CycleQueueStoppedError, mergeRequests } from './cycle-queue.js';
import { silentLogger } from '../util/logger.js';

const report = { engine: null, offline: false, roots: [], images: [], dockerfiles: [], compose: [], registries: [], errors: [] } as unknown as CheckReport;
const request = (kind: CycleRequest['trigger']['kind'], images: string[] = [], detail?: string, dryRun = false): CycleRequest => ({
  trigger: detail === undefined ? { kind } : { kind, detail },
  images,
  dryRun,
});

/** A runner whose cycles finish only when the test says so. */
function gatedRunner() {
  const runs: Array<{ request: CycleRequest; finish: () => void; progress: (message: string) => void }> = [];
  const run = (req: CycleRequest, progress: (message: string) => void = () => {}) =>
    new Promise<CycleResult>((resolve) => {
      runs.push({ request: req, progress, finish: () => resolve({ trigger: req.trigger, startedAt: '', finishedAt: '', report, actions: [], plan: [], dryRun: req.dryRun }) });
    });
  return { runs, run };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mergeRequests', () => {
  it('keeps all images when either wants all, else the union', () => {
    assert.deepEqual(mergeRequests(request('engine', ['a']), request('engine', ['b', 'a'])).images, ['a', 'b']);
    assert.deepEqual(mergeRequests(request('engine', ['a']), request('files')).images, []);
  });
  it('keeps the dependents one list asked for, never for all images', () => {
    assert.equal(mergeRequests(request('cli', ['a']), { ...request('engine', ['b']), withDependents: true }).withDependents, true);
    assert.equal(mergeRequests(request('cli', ['a']), request('cli', ['b'])).withDependents, undefined);
    assert.equal(mergeRequests({ ...request('engine', ['b']), withDependents: true }, request('files')).withDependents, undefined);
  });
  it('keeps the first trigger kind and every detail', () => {
    const merged = mergeRequests(request('files', [], '/x/Dockerfile'), request('engine', ['a'], 'a'));
    assert.equal(merged.trigger.kind, 'files');
    assert.equal(merged.trigger.detail, '/x/Dockerfile; engine: a');
  });
});

describe('CycleQueue', () => {
  it('runs one cycle at a time and folds triggers that arrive meanwhile into one follow-up', async () => {
    const { runs, run } = gatedRunner();
    const queue = new CycleQueue({ run, logger: silentLogger });
    const first = queue.submit(request('startup'));
    await tick();
    assert.equal(runs.length, 1);
    const a = queue.submit(request('engine', ['a:1']));
    const b = queue.submit(request('engine', ['b:1']));
    const c = queue.submit(request('files', [], '/p/Dockerfile'));
    await tick();
    assert.equal(runs.length, 1, 'nothing overlaps the running cycle');
    assert.equal(queue.pending, 1);
    runs[0]!.finish();
    await first;
    await tick();
    assert.equal(runs.length, 2);
    assert.deepEqual(runs[1]!.request.images, [], 'the files trigger widened it to all images');
    runs[1]!.finish();
    const results = await Promise.all([a, b, c]);
    assert.ok(results.every((result) => result.report === results[0]!.report), 'every caller gets the covering cycle');
    assert.deepEqual(results.map((result) => result.trigger), [{ kind: 'engine' }, { kind: 'engine' }, { kind: 'files', detail: '/p/Dockerfile' }], 'each as the answer to its own request');
    assert.equal(queue.completed, 2);
  });

  it('answers a CLI request folded into an engine-started cycle as the CLI\'s, and keeps the engine\'s dependents', async () => {
    const { runs, run } = gatedRunner();
    const queue = new CycleQueue({ run, logger: silentLogger });
    void queue.submit(request('startup'));
    await tick();
    const engine = queue.submit({ ...request('engine', ['base:1'], 'base:1'), withDependents: true });
    const cli = queue.submit(request('cli', ['app:1'], 'test'));
    await tick();
    runs[0]!.finish();
    await tick();
    assert.equal(runs.length, 2, 'one follow-up covers both');
    assert.deepEqual(runs[1]!.request.images, ['base:1', 'app:1']);
    assert.equal(runs[1]!.request.withDependents, true, 'the pulled base\'s dependents are still checked');
    assert.deepEqual(runs[1]!.request.trigger, { kind: 'engine', detail: 'base:1; cli: test' }, 'the cycle (and its log) says what was folded in');
    runs[1]!.finish();
    assert.deepEqual((await cli).trigger, { kind: 'cli', detail: 'test' });
    assert.deepEqual((await engine).trigger, { kind: 'engine', detail: 'base:1' });
  });

  it('never folds a dry run into a real cycle', async () => {
    const { runs, run } = gatedRunner();
    const queue = new CycleQueue({ run, logger: silentLogger });
    void queue.submit(request('startup'));
    await tick();
    const real = queue.submit(request('cli', ['a']));
    const dry = queue.submit(request('cli', ['a'], undefined, true));
    await tick();
    assert.equal(queue.pending, 2);
    runs[0]!.finish();
    await tick();
    runs[1]!.finish();
    await real;
    await tick();
    assert.equal(runs[2]!.request.dryRun, true);
    runs[2]!.finish();
    assert.equal((await dry).dryRun, true);
  });

  it('stop rejects waiting requests, refuses new ones and waits for the running cycle within the grace', async () => {
    const { runs, run } = gatedRunner();
    const queue = new CycleQueue({ run, logger: silentLogger });
    const running = queue.submit(request('startup'));
    await tick();
    const waiting = queue.submit(request('schedule'));
    const stopped = queue.stop(5_000);
    await assert.rejects(waiting, CycleQueueStoppedError);
    await assert.rejects(queue.submit(request('cli')), CycleQueueStoppedError);
    runs[0]!.finish();
    assert.equal(await stopped, true);
    await running;
  });

  it('gives up waiting after the grace period', async () => {
    const { run } = gatedRunner();
    const queue = new CycleQueue({ run, logger: silentLogger });
    void queue.submit(request('startup')).catch(() => undefined);
    await tick();
    assert.equal(await queue.stop(10), false);
  });

  it('a failing cycle or listener does not stop the queue', async () => {
    let calls = 0;
    const queue = new CycleQueue({
      run: async (req) => {
        calls += 1;
        if (calls === 1) throw new Error('engine gone');
        return { trigger: req.trigger, startedAt: '', finishedAt: '', report, actions: [], plan: [], dryRun: false };
      },
      logger: silentLogger,
      onFinished: () => {
        throw new Error('listener bug');
      },
    });
    await assert.rejects(queue.submit(request('startup')), /engine gone/);
    assert.equal((await queue.submit(request('schedule'))).trigger.kind, 'schedule');
  });
  it('says when a cycle\'s work is done while its listeners still run, and tells of failures', async () => {
    const { runs, run } = gatedRunner();
    const seen: Array<string | null> = [];
    const failures: unknown[] = [];
    let finishListener!: () => void;
    const queue: CycleQueue = new CycleQueue({
      run,
      logger: silentLogger,
      onFinished: () => {
        seen.push(queue.running?.result?.trigger.kind ?? null);
        return new Promise<void>((resolve) => {
          finishListener = resolve;
        });
      },
      onFailed: (error) => failures.push(error),
    });
    void queue.submit(request('startup'));
    await tick();
    assert.equal(queue.running?.result, null, 'working');
    runs[0]!.finish();
    await tick();
    assert.deepEqual(seen, ['startup']);
    assert.equal(queue.running?.request.trigger.kind, 'startup', 'still running while the listener sends');
    finishListener();
    await tick();
    assert.equal(queue.running, null);

    const failing = new CycleQueue({ run: async () => Promise.reject(new Error('engine gone')), logger: silentLogger, onFailed: (error) => failures.push(error) });
    await assert.rejects(failing.submit(request('startup')), /engine gone/);
    assert.equal(failures.length, 1);
  });
});

describe('CycleQueue.watch', () => {
  it('tells a request it waits behind the running cycle (with that cycle\'s progress), then that it runs, with its own', async () => {
    const { runs, run } = gatedRunner();
    const queue = new CycleQueue({ run, logger: silentLogger });
    const first = queue.submit(request('schedule'));
    await tick();
    runs[0]!.progress('reading images 38/100');
    const watched = queue.watch(request('cli', ['app:1'], 'basewatch update'));
    const queued = watched.position();
    assert.equal(queued.state, 'queued');
    assert.deepEqual(queued.state === 'queued' ? queued.behind : null, { phase: 'images', images: 100, done: 38, total: 100, step: 'reading images 38/100' });
    runs[0]!.progress('asking registries 1/2');
    const later = watched.position();
    assert.equal(later.state === 'queued' ? later.behind?.phase : null, 'registries', 'the cycle ahead moved on');
    runs[0]!.finish();
    await first;
    await tick();
    assert.equal(runs.length, 2);
    assert.deepEqual(watched.position(), { state: 'running', progress: { phase: 'starting', images: null, done: null, total: null, step: 'starting' } });
    runs[1]!.progress('reading images 1/3');
    const own = watched.position();
    assert.equal(own.state === 'running' ? own.progress.step : null, 'reading images 1/3');
    runs[1]!.finish();
    assert.deepEqual((await watched.result).trigger, { kind: 'cli', detail: 'basewatch update' });
  });
});
