import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStyle, truncateEnd, truncateMiddle, visibleLength } from './style.js';

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
