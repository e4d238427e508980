import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { megabytes } from '../util/progress-count.js';
import { fitLine } from './progress-line.js';

describe('fitLine', () => {
  it('leaves a short line as it is', () => {
    assert.equal(fitLine('reading images 3/12', 80), 'reading images 3/12');
  });
  it('cuts a long line to one column less than the terminal, ending in an ellipsis', () => {
    const fitted = fitLine(`pulling ${'x'.repeat(200)}`, 80);
    assert.equal(Array.from(fitted).length, 79);
    assert.ok(fitted.startsWith('pulling xxx') && fitted.endsWith('…'));
  });
  it('keeps a line on one line', () => {
    assert.equal(fitLine('a\nb\r\tc', 80), 'a b c');
  });
});

describe('megabytes', () => {
  it('counts whole megabytes of a total, never past it', () => {
    assert.equal(megabytes(14_500_000, 52_000_000), '14/52 MB');
    assert.equal(megabytes(60_000_000, 52_000_000), '52/52 MB');
    assert.equal(megabytes(10, 200), '0/1 MB');
    assert.equal(megabytes(3_000_000, null), '3 MB');
  });
});
