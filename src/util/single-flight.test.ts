import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleFlight } from './single-flight.js';

/** A task that counts its runs and settles when told to. */
function gatedTask<T>() {
  let runs = 0;
  let settle: { resolve(value: T): void; reject(error: Error): void } | null = null;
  const task = (): Promise<T> => {
    runs++;
    return new Promise<T>((resolve, reject) => {
      settle = { resolve, reject };
    });
  };
  return {
    task,
    runs: () => runs,
    resolve: (value: T) => settle?.resolve(value),
    reject: (error: Error) => settle?.reject(error),
  };
}

describe('SingleFlight (forget once settled)', () => {
  it('runs a key once while its call is in flight and hands every caller the same result', async () => {
    const flights = new SingleFlight();
    const gate = gatedTask<string>();
    const calls = [flights.run('a', gate.task), flights.run('a', gate.task), flights.run('a', gate.task)];
    gate.resolve('digest');
    assert.deepEqual(await Promise.all(calls), ['digest', 'digest', 'digest']);
    assert.equal(gate.runs(), 1);
  });

  it('runs different keys separately', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const results = await Promise.all(['a', 'b', 'a'].map((key) => flights.run(key, async () => ++runs)));
    assert.equal(runs, 2);
    assert.equal(results[0], results[2]);
    assert.notEqual(results[0], results[1]);
  });

  it('runs the task again after the call settled', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    assert.equal(await flights.run('a', async () => ++runs), 1);
    assert.equal(await flights.run('a', async () => ++runs), 2);
  });

  it('shares a rejection with the callers in flight, then forgets it', async () => {
    const flights = new SingleFlight<string>();
    const gate = gatedTask<string>();
    const first = flights.run('a', gate.task);
    const second = flights.run('a', gate.task);
    gate.reject(new Error('registry down'));
    await assert.rejects(first, /registry down/);
    await assert.rejects(second, /registry down/);
    assert.equal(await flights.run('a', async () => 'recovered'), 'recovered');
    assert.equal(gate.runs(), 1);
  });
});

describe('SingleFlight (remember once settled)', () => {
  it('answers later calls from the first result without running the task again', async () => {
    const memo = new SingleFlight<number>({ settled: 'remember' });
    let runs = 0;
    assert.equal(await memo.run('a', async () => ++runs), 1);
    assert.equal(await memo.run('a', async () => ++runs), 1);
    assert.equal(await memo.run('b', async () => ++runs), 2);
  });

  it('keeps a rejection too', async () => {
    const memo = new SingleFlight<string>({ settled: 'remember' });
    let runs = 0;
    const fail = async (): Promise<string> => {
      runs++;
      throw new Error('no such tag');
    };
    await assert.rejects(memo.run('a', fail), /no such tag/);
    await assert.rejects(memo.run('a', async () => 'never asked'), /no such tag/);
    assert.equal(runs, 1);
  });
});
