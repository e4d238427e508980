import assert from 'node:assert/strict';
import { test } from 'node:test';
import { developerReport } from './render-check.fixture.js';
import { statusStateFrom } from './status-read.js';
import { CheckReport } from '../report/check-report.js';

const state = { version: 1, lastCheck: { at: '2026-12-06T13:50:00Z', durationMs: 1200, report: developerReport }, upstream: {}, registries: {} };

test('a state basewatch wrote is read as it is, the same as the full parse', () => {
  const text = JSON.stringify(state);
  const quick = statusStateFrom(text);
  assert.deepEqual(quick?.lastCheck?.report, CheckReport.parse(JSON.parse(text).lastCheck.report));
});

test('anything else is left to the full read (which sets a corrupt file aside)', () => {
  assert.equal(statusStateFrom('{"version":1,'), null);
  assert.equal(statusStateFrom(JSON.stringify({ ...state, version: 2 })), null);
  const broken = structuredClone(state) as unknown as { lastCheck: { report: { images: Array<Record<string, unknown>> } } };
  (broken.lastCheck.report.images[0] as Record<string, unknown>)['tags'] = 'not a list';
  assert.equal(statusStateFrom(JSON.stringify(broken)), null);
  assert.equal(statusStateFrom(JSON.stringify({ ...state, upstream: { k: { digest: 1 } } })), null);
});
