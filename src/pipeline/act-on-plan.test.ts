import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArchiveError } from '../archive/archive-error.js';
import { EngineError } from '../engine/engine-error.js';
import type { PlanEntry } from '../plan/plan-actions.js';
import type { ActionOutcome } from '../record/cycle-result.js';
import { actInOrder, outcome } from './act-on-plan.js';

function entry(image: string, kind: PlanEntry['action']['kind'], waitsOn?: string): PlanEntry {
  const action = kind === 'rebase' ? { kind, otherwise: 'report' as const } : { kind };
  return { image, imageId: `sha256:${image}`, baseRef: null, digest: null, policy: 'auto', action, why: 'test', ...(waitsOn ? { waitsOn } : {}) } as PlanEntry;
}

/** A fake act port: the outcome kind per image, or an error to throw; records the order it was called in. */
function port(results: Record<string, ActionOutcome['kind'] | Error>) {
  const calls: string[] = [];
  const act = async (planned: PlanEntry): Promise<ActionOutcome> => {
    calls.push(planned.image);
    const result = results[planned.image];
    if (result instanceof Error) throw result;
    return outcome(planned, result ?? 'reported', 'done');
  };
  return { calls, act };
}

const endpoint = { host: 'unix:///run/docker.sock', source: 'test', tls: null };

describe('actInOrder', () => {
  it('rebuilds a dependent after its base was updated', async () => {
    const plan = [entry('corp:1', 'rebase'), entry('app:1', 'rebuild', 'corp:1')];
    const { calls, act } = port({ 'corp:1': 'rebased', 'app:1': 'rebuilt' });
    const actions = await actInOrder(plan, plan, act, () => {});
    assert.deepEqual(calls, ['corp:1', 'app:1']);
    assert.deepEqual(actions.map((a) => [a.target, a.kind]), [['corp:1', 'rebased'], ['app:1', 'rebuilt']]);
  });

  it('leaves a dependent alone when its base failed, was only reported, or is not acted on; the others go on', async () => {
    const plan = [entry('corp:1', 'rebase'), entry('app:1', 'rebuild', 'corp:1'), entry('other:1', 'rebase'), entry('lone:1', 'rebuild', 'absent:1')];
    const { calls, act } = port({ 'corp:1': 'failed', 'other:1': 'rebased' });
    const actions = await actInOrder(plan, plan, act, () => {});
    assert.deepEqual(calls, ['corp:1', 'other:1'], 'the dependents were never acted on');
    const app = actions.find((a) => a.target === 'app:1');
    assert.equal(app?.kind, 'skipped');
    assert.match(app?.reason ?? '', /^waits on corp:1, which was not updated \(failed: done\)$/);
    assert.match(actions.find((a) => a.target === 'lone:1')?.reason ?? '', /^waits on absent:1, which this cycle does not update \(not planned\)$/);
    assert.equal(actions.find((a) => a.target === 'other:1')?.kind, 'rebased');
  });

  it('turns an expected failure into that image\'s outcome, and its dependents wait', async () => {
    const plan = [entry('corp:1', 'rebase'), entry('app:1', 'rebuild', 'corp:1')];
    const { act } = port({ 'corp:1': new ArchiveError('truncated', 'the export ended early') });
    const actions = await actInOrder(plan, plan, act, () => {});
    assert.deepEqual(actions.map((a) => [a.target, a.kind]), [['corp:1', 'failed'], ['app:1', 'skipped']]);
    assert.equal(actions[0]?.reason, 'the export ended early');
  });

  it('throws on an engine that is gone, and on a bug, instead of calling them failed', async () => {
    const plan = [entry('a:1', 'rebase'), entry('b:1', 'rebase')];
    const gone = new EngineError({ endpoint, operation: 'inspect image a:1', failure: 'refused', detail: 'connect ECONNREFUSED' });
    const first = port({ 'a:1': gone });
    await assert.rejects(actInOrder(plan, plan, first.act, () => {}), (error) => error === gone);
    assert.deepEqual(first.calls, ['a:1'], 'nothing after the engine went');
    const bug = new TypeError('x is undefined');
    await assert.rejects(actInOrder(plan, plan, port({ 'a:1': bug }).act, () => {}), (error) => error === bug);
  });
});
