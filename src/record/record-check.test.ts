import assert from 'node:assert/strict';
import { it } from 'node:test';
import { emptyState } from './state-store.js';
import type { CheckToRecord } from './record-check.js';
import { mergeCheckIntoState } from './record-check.js';

const report = { engine: null, offline: false, roots: [], images: [], dockerfiles: [], compose: [], registries: [], errors: [] };
const observe = (digest: string, platformDigest: string, checkedAt: string): CheckToRecord => ({
  report,
  observations: [{ ref: 'docker.io/library/python:3.12', platform: 'linux/amd64', digest, platformDigest, configDigest: 'c', checkedAt }],
});

it('keeps "first seen" while only other platforms are republished, and restarts it when ours changes', () => {
  const at = new Date('2026-11-22T00:00:00Z');
  let state = mergeCheckIntoState(emptyState(), observe('index-1', 'amd64-1', 't1'), at, 1);
  state = mergeCheckIntoState(state, observe('index-2', 'amd64-1', 't2'), at, 1);
  const key = 'docker.io/library/python:3.12 linux/amd64';
  assert.equal(state.upstream[key]?.firstSeenAt, 't1');
  assert.equal(state.upstream[key]?.digest, 'index-2');
  state = mergeCheckIntoState(state, observe('index-3', 'amd64-2', 't3'), at, 1);
  assert.equal(state.upstream[key]?.firstSeenAt, 't3');
});
