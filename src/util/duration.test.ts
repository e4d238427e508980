import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

it('parses and formats durations', () => {
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('2d'), 172_800);
  assert.equal(parseDuration('1.5h'), 5400);
  for (const bad of ['', 'h', '10', '1x', '-1h', '1 h']) assert.equal(parseDuration(bad), null, bad);
  assert.equal(formatDuration(5400), '1h30m');
  assert.equal(formatDuration(0), '0');
});
