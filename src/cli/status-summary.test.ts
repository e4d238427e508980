import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckReport, ImageReport } from '../report/check-report.js';
import { summarizeStatus, type StatusSummaryInput } from './status-summary.js';

const now = new Date('2026-12-06T14:00:00Z');

function image(name: string, status: ImageReport['status'], latest: string | null = null): ImageReport {
  return {
    name,
    tags: [name],
    id: `sha256:${name}`,
    platform: 'linux/amd64',
    base: { ref: `docker.io/library/${name}-base:1`, digest: 'sha256:old', via: 'layers', latest, localId: null, newer: null, newerReason: null, eol: null },
    source: null,
    status,
    reason: '',
    checkedAt: now.toISOString(),
  };
}

function report(images: ImageReport[]): CheckReport {
  return { engine: null, offline: false, roots: ['/p'], images, dockerfiles: [], compose: [], registries: [], errors: [] };
}

function input(over: Partial<StatusSummaryInput>): StatusSummaryInput {
  return { report: null, lastCheckAt: now.toISOString(), firstSeen: {}, minimumAgeSeconds: 3600, actions: [], daemonRunning: false, now, timeZone: 'UTC', ...over };
}

test('no check yet: run one', () => {
  assert.deepEqual(summarizeStatus(input({})), { line: 'No check recorded yet', next: 'basewatch check' });
});

test('outdated, one of them still inside minimumAge, and what was done today', () => {
  const summary = summarizeStatus(
    input({
      report: report([image('a', 'outdated', 'sha256:new'), image('b', 'outdated', 'sha256:new'), image('c', 'outdated', 'sha256:new'), image('d', 'current')]),
      firstSeen: {
        'docker.io/library/a-base:1 linux/amd64': { digest: 'sha256:new', firstSeenAt: '2026-12-06T13:12:00Z' },
        'docker.io/library/b-base:1 linux/amd64': { digest: 'sha256:new', firstSeenAt: '2026-12-06T10:00:00Z' },
        // Seen, but another digest: the wait started over.
        'docker.io/library/c-base:1 linux/amd64': { digest: 'sha256:other', firstSeenAt: '2026-12-06T13:59:00Z' },
      },
      actions: [
        { kind: 'rebase', at: '2026-12-06T09:00:00Z' },
        { kind: 'rebase', at: '2026-12-06T11:00:00Z' },
        { kind: 'rebuild', at: '2026-12-05T23:00:00Z' },
      ],
    }),
  );
  assert.equal(summary.line, '3 outdated · 1 waiting for minimumAge (12 min) · 2 rebased today');
  assert.equal(summary.next, 'basewatch update --dry-run');
});

test('all outdated images waiting: the daemon will act, or update later', () => {
  const waiting = input({
    report: report([image('a', 'outdated', 'sha256:new')]),
    firstSeen: { 'docker.io/library/a-base:1 linux/amd64': { digest: 'sha256:new', firstSeenAt: '2026-12-06T13:30:00Z' } },
  });
  assert.deepEqual(summarizeStatus(waiting), { line: '1 outdated · 1 waiting for minimumAge (30 min)', next: 'basewatch update, in 30 min (now: basewatch config set minimumAge 0)' });
  assert.equal(summarizeStatus({ ...waiting, daemonRunning: true }).next, 'nothing: the daemon acts when the wait is over');
  // Unreadable settings: nothing is claimed to wait.
  assert.equal(summarizeStatus({ ...waiting, minimumAgeSeconds: null }).line, '1 outdated');
});

test('all current, and a stale check without a daemon asks for a new one', () => {
  const calm = input({ report: report([image('a', 'current')]) });
  assert.deepEqual(summarizeStatus(calm), { line: 'nothing outdated', next: 'nothing' });
  assert.equal(summarizeStatus({ ...calm, lastCheckAt: '2026-12-04T14:00:00Z' }).next, 'basewatch check');
});

test('the quick status read names the files and default the full code uses', async () => {
  const { DEFAULT_MINIMUM_AGE } = await import('./status-read.js');
  const { SettingsSchema } = await import('../config/settings.js');
  const { HISTORY_FILE } = await import('../act/tag-moves/history.js');
  const { STATE_FILE_NAME } = await import('../record/state-store.js');
  const { CONFIG_FILE_NAME } = await import('../config/settings-file.js');
  assert.equal(SettingsSchema.parse({}).minimumAge, DEFAULT_MINIMUM_AGE);
  assert.deepEqual([HISTORY_FILE, STATE_FILE_NAME, CONFIG_FILE_NAME], ['history.jsonl', 'state.json', 'config.json']);
});

test('a Dockerfile whose local base is older than upstream, once no image is outdated: pull it (a plain build would use the old copy)', () => {
  const base = (ref: string, status: 'outdated' | 'current', pinned: string | null = null) =>
    ({ ref, kind: 'from', line: 1, stage: null, final: true, pinned, platform: null, local: 'sha256:old', latest: 'sha256:new', status, reason: '', checkedAt: null }) as unknown as CheckReport['dockerfiles'][number]['bases'][number];
  const file = (bases: CheckReport['dockerfiles'][number]['bases']) => ({ path: '/p/Dockerfile', bases, errors: [], usedBy: [] });
  const rebased = { ...report([image('a', 'current')]), dockerfiles: [file([base('docker.io/library/python:3.12', 'outdated'), base('docker.io/library/pinned:1', 'outdated', 'sha256:old')])] };
  assert.deepEqual(summarizeStatus(input({ report: rebased })), { line: 'nothing outdated · 1 base to pull', next: 'docker pull python:3.12' });
  // While the image is outdated (here: waiting for minimumAge), the update comes first.
  const waiting = { ...rebased, images: [image('a', 'outdated', 'sha256:new')] };
  assert.equal(summarizeStatus(input({ report: waiting, minimumAgeSeconds: 0 })).next, 'basewatch update --dry-run');
  assert.doesNotMatch(summarizeStatus(input({ report: waiting })).line, /to pull/);
});
