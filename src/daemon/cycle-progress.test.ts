import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CYCLE_STARTING, cyclePercent, describeQueuedBehind, followProgress } from './cycle-progress.js';

const through = (...messages: string[]) => messages.reduce(followProgress, CYCLE_STARTING);

it('follows a cycle through its counted phases: images read, registries answered, then actions', () => {
  const reading = through('scanning project folders', 'reading local images', 'reading images 156/412');
  assert.deepEqual(reading, { phase: 'images', images: 412, done: 156, total: 412, step: 'reading images 156/412' });
  assert.equal(cyclePercent(reading), 12);
  const asking = followProgress(reading, 'asking registries 3/6');
  assert.equal(asking.images, 412, 'the image count stays');
  assert.equal(cyclePercent(asking), 50);
  const acting = followProgress(asking, 'app:1: rebase onto new base');
  assert.equal(acting.phase, 'acting');
  assert.equal(cyclePercent(acting), 66);
  assert.equal(cyclePercent(followProgress(acting, 'app:1: exporting the image 3/9 MB')), 66);
  // Before the registries, a message with a colon is not an action.
  assert.equal(through('reading images 1/2', 'x: y').phase, 'images');
});

it('a running cycle never says 100%, and a queued request names the size of the cycle ahead', () => {
  assert.equal(cyclePercent(through('reading images 9/9', 'asking registries 4/4', 'a:1: rebase', 'reading images 2/2')), 33);
  assert.ok(cyclePercent({ phase: 'acting', images: 1, done: 5, total: 5, step: '' }) <= 99);
  assert.equal(describeQueuedBehind(through('reading images 156/412')), 'queued behind a cycle of 412 images, 12%');
  assert.equal(describeQueuedBehind(through('reading images 0/1')), 'queued behind a cycle of 1 image, 0%');
  assert.equal(describeQueuedBehind(CYCLE_STARTING), 'queued behind a cycle, 0%');
  assert.equal(describeQueuedBehind(null), 'queued: the daemon is about to run it');
});
