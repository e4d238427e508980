import assert from 'node:assert/strict';
import { it, test } from 'node:test';
import { createStyle, truncateEnd, truncateMiddle, visibleLength, wrapLines } from './style.js';

const red = createStyle(true).red;

test('visible length counts characters, not styling or UTF-16 halves', () => {
  assert.equal(visibleLength('python:3.12'), 11);
  assert.equal(visibleLength(red('error')), 5);
  assert.equal(visibleLength('🐳 whale'), 7);
});

test('cutting keeps whole characters, drops styling, and leaves what fits as it is', () => {
  assert.equal(truncateMiddle('registry.example.com/team/app:1', 15), 'registr…m/app:1');
  assert.equal(truncateEnd('registry.example.com/team/app:1', 10), 'registry.…');
  assert.equal(truncateMiddle(red('registry.example.com/team/app:1'), 15), 'registr…m/app:1');
  assert.equal(truncateEnd(red('registry.example.com'), 10), 'registry.…');
  assert.equal(truncateMiddle('🐳🐳🐳🐳🐳🐳🐳🐳🐳🐳', 5), '🐳🐳…🐳🐳');
  assert.equal(truncateEnd('🐳🐳🐳🐳🐳🐳', 3), '🐳🐳…');
  assert.equal(truncateEnd(red('fits'), 10), red('fits'));
});

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
  assert.equal(wrapLines(long, null), long, 'no width (a pipe): unchanged');
});

it('wrapLines keeps a table row\'s spacing up to its cut, and a word longer than the room whole', () => {
  const row = '  app:1       127.0.0.1:5000/deb:12-slim   sha256:7e716dad3a10   rebase (report if not safe)';
  const [first, second] = wrapLines(row, 64).split('\n');
  assert.equal(first, '  app:1       127.0.0.1:5000/deb:12-slim   sha256:7e716dad3a10');
  assert.equal(second, '    rebase (report if not safe)');
  const path = `  tried unix:///work/${'x'.repeat(70)}/docker.sock (DOCKER_HOST): no such socket`;
  assert.deepEqual(wrapLines(path, 40).split('\n'), ['  tried', `    unix:///work/${'x'.repeat(70)}/docker.sock`, '    (DOCKER_HOST): no such socket']);
});
