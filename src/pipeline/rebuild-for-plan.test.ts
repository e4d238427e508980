import assert from 'node:assert/strict';
import { it } from 'node:test';
import { maskValues } from './rebuild-for-plan.js';

it('masks build-arg values in what a failed rebuild reports', () => {
  assert.equal(maskValues('auth=S3CR3T-VALUE failed; S3CR3T-VALUE again', ['S3CR3T-VALUE', 'ab']), 'auth=*** failed; *** again');
  assert.equal(maskValues('flag ab stays', ['ab']), 'flag ab stays', 'short values are words, not secrets');
});
