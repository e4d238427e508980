import assert from 'node:assert/strict';
import { it, mock } from 'node:test';
import { createDebouncer } from './debounce.js';

it('flushes a burst once, after the quiet time', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const batches: string[][] = [];
    const debouncer = createDebouncer<string>({ delayMs: 500, maxWaitMs: 2000, flush: (items) => batches.push(items) });
    debouncer.push('a');
    mock.timers.tick(300);
    debouncer.push('b');
    mock.timers.tick(499);
    assert.deepEqual(batches, []);
    mock.timers.tick(1);
    assert.deepEqual(batches, [['a', 'b']]);
    mock.timers.tick(5000);
    assert.equal(batches.length, 1);
  } finally {
    mock.timers.reset();
  }
});

it('does not let a steady trickle postpone the flush past maxWait', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const batches: number[][] = [];
    const debouncer = createDebouncer<number>({ delayMs: 500, maxWaitMs: 2000, flush: (items) => batches.push(items) });
    for (let i = 0; i < 10; i++) {
      debouncer.push(i);
      mock.timers.tick(300);
    }
    assert.equal(batches.length >= 1, true);
    assert.deepEqual(batches[0], [0, 1, 2, 3, 4, 5, 6]);
  } finally {
    mock.timers.reset();
  }
});

it('cancel drops what waits', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const batches: string[][] = [];
    const debouncer = createDebouncer<string>({ delayMs: 500, maxWaitMs: 2000, flush: (items) => batches.push(items) });
    debouncer.push('a');
    debouncer.cancel();
    mock.timers.tick(3000);
    assert.deepEqual(batches, []);
    assert.equal(debouncer.waiting, 0);
  } finally {
    mock.timers.reset();
  }
});
