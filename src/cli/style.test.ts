import assert from 'node:assert/strict';
import { it } from 'node:test';
import { wrapLines } from './style.js';

it('wrapLines wraps only the lines wider than the width, at spaces, continuation indented two more', () => {
  const long = `  app:1: the new digest was first seen 1s ago; waiting until it is 1h old (minimumAge, 59m59s to go); to act now: basewatch rebase app:1`;
  const wrapped = wrapLines(`short line\n${long}`, 40).split('\n');
  assert.equal(wrapped[0], 'short line');
  assert.ok(wrapped.length > 3, wrapped.join('\n'));
  for (const line of wrapped) assert.ok(line.length <= 40, line);
  assert.ok(wrapped[1]?.startsWith('  app:1:'));
  assert.ok(wrapped.slice(2).every((line) => line.startsWith('    ') && !line.startsWith('     ')), wrapped.join('\n'));
  assert.equal(wrapped.slice(1).map((line) => line.trim()).join(' '), long.trim(), 'no word lost');
  assert.equal(wrapLines('a\n\nb\n', 40), 'a\n\nb\n');
});
