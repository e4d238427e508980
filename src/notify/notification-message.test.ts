import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActionOutcome, CycleResult } from '../record/cycle-result.js';
import type { CheckReport } from '../report/check-report.js';
import { buildNotification, listTargets, notifiableItems, patchedPackages, shortRef } from './notification-message.js';

const emptyReport: CheckReport = { engine: null, offline: false, roots: [], images: [], dockerfiles: [], compose: [], registries: [], errors: [] } as unknown as CheckReport;

function action(kind: ActionOutcome['kind'], target: string, extra: Partial<ActionOutcome> = {}): ActionOutcome {
  return {
    target,
    kind,
    reason: `${kind} ${target}`,
    baseRef: 'docker.io/library/python:3.12-slim',
    digest: 'sha256:new',
    oldImageId: 'sha256:old',
    newImageId: kind === 'rebased' || kind === 'rebuilt' ? 'sha256:fresh' : null,
    packages: null,
    containersOnOldImage: [],
    warnings: [],
    ...extra,
  };
}

/** The plan entry that chose `policy` for each reported image (its name as `image`). */
function cycle(actions: ActionOutcome[], dryRun = false, policies: Record<string, string> = {}): CycleResult {
  const plan = Object.entries(policies).map(([image, policy]) => ({ image, policy }));
  return { trigger: { kind: 'schedule' }, startedAt: 't0', finishedAt: 't1', report: emptyReport, actions, plan, dryRun } as unknown as CycleResult;
}

function message(actions: ActionOutcome[], dryRun = false, policies: Record<string, string> = {}): { title: string; body: string; urgency: string } | null {
  const built = buildNotification(notifiableItems(cycle(actions, dryRun, policies)));
  return built === null ? null : { title: built.title, body: built.body, urgency: built.urgency };
}

describe('notification text', () => {
  const cases: Array<{ name: string; actions: ActionOutcome[]; dryRun?: boolean; policies?: Record<string, string>; title: string | null; body?: string; urgency?: string }> = [
    { name: 'nothing happened', actions: [], title: null },
    { name: 'only skipped images', actions: [action('skipped', 'app:1')], title: null },
    { name: 'dry run is never notified', actions: [action('rebased', 'app:1')], dryRun: true, title: null },
    {
      name: 'three rebases onto one base, with packages',
      actions: [
        action('rebased', 'app:dev', { packages: 'openssl 3.0.15-1 → 3.0.16-1; 1 more' }),
        action('rebased', 'web:1', { packages: 'libc6 2.36-9 → 2.36-9+deb12u4' }),
        action('rebased', 'api:2', { packages: 'openssl 3.0.15-1 → 3.0.16-1' }),
      ],
      title: 'basewatch: 3 images updated',
      body: 'Rebased app:dev, web:1 and api:2 onto python:3.12-slim (openssl, libc6 and 1 more patched). Undo: basewatch rollback IMAGE, e.g. app:dev',
      urgency: 'normal',
    },
    {
      name: 'one rebase names the exact undo command',
      actions: [action('rebased', 'app:dev', { packages: 'openssl 3.0.15-1 → 3.0.16-1' })],
      title: 'basewatch: 1 image updated',
      body: 'Rebased app:dev onto python:3.12-slim (openssl patched). Undo: basewatch rollback app:dev',
    },
    {
      name: 'update available under policy notify',
      actions: [action('reported', 'app:1', { baseRef: 'registry.lan:5000/base:2' })],
      policies: { 'app:1': 'notify' },
      title: 'basewatch: 1 update available',
      body: 'Update available for app:1 (registry.lan:5000/base:2); policy is notify, so basewatch only tells you. To update now: basewatch rebase app:1',
    },
    {
      name: 'under policy auto, held back: the real policy and the reason with its command, never "policy is notify"',
      actions: [
        action('reported', 'api:dev', {
          reason: 'not rebaseable (layer 3 writes /var/lib/dpkg/status (a package install)); looks built from ./api/Dockerfile: run `basewatch link api:dev ./api/Dockerfile` and basewatch can rebuild it',
        }),
      ],
      policies: { 'api:dev': 'auto' },
      title: 'basewatch: 1 update available',
      body: 'Update available for api:dev (python:3.12-slim), not applied (policy auto, not rebaseable (layer 3 writes /var/lib/dpkg/status (a package install)); looks built from ./api/Dockerfile: run `basewatch link api:dev ./api/Dockerfile` and basewatch can rebuild it)',
    },
    {
      name: 'a failure is critical and says why',
      actions: [action('failed', 'app:1', { reason: 'rebuild failed: COPY failed: file not found\nstep 3/5' })],
      title: 'basewatch: 1 failed',
      body: 'Could not update app:1: rebuild failed: COPY failed: file not found',
      urgency: 'critical',
    },
    {
      name: 'rebuilt with containers still on the old image',
      actions: [action('rebuilt', 'web:1', { baseRef: 'docker.io/library/node:22-bookworm', containersOnOldImage: ['web-1 (0123456789ab)', 'worker (ba9876543210)'] })],
      title: 'basewatch: 1 image updated',
      body: 'Rebuilt web:1 on node:22-bookworm. Undo: basewatch rollback web:1\n2 containers still run the old image: restart them to pick it up (web-1, worker).',
    },
    {
      name: 'mixed outcomes: one notification, ordered',
      actions: [action('failed', 'b:1', { reason: 'registry down' }), action('rebased', 'a:1'), action('reported', 'c:1')],
      policies: { 'c:1': 'notify' },
      title: 'basewatch: 1 image updated, 1 update available, 1 failed',
      body: 'Rebased a:1 onto python:3.12-slim. Undo: basewatch rollback a:1\nUpdate available for c:1 (python:3.12-slim); policy is notify, so basewatch only tells you. To update now: basewatch rebase c:1\nCould not update b:1: registry down',
      urgency: 'critical',
    },
    {
      name: 'one container',
      actions: [action('rebased', 'a:1', { containersOnOldImage: ['a-1 (0123456789ab)'] })],
      title: 'basewatch: 1 image updated',
      body: 'Rebased a:1 onto python:3.12-slim. Undo: basewatch rollback a:1\n1 container still runs the old image: restart it to pick it up (a-1).',
    },
  ];
  for (const test of cases) {
    it(test.name, () => {
      const got = message(test.actions, test.dryRun, test.policies);
      if (test.title === null) return assert.equal(got, null);
      assert.ok(got);
      assert.equal(got.title, test.title);
      if (test.body !== undefined) assert.equal(got.body, test.body);
      if (test.urgency !== undefined) assert.equal(got.urgency, test.urgency);
    });
  }
});

describe('message parts', () => {
  it('shortens Docker Hub refs only', () => {
    assert.equal(shortRef('docker.io/library/python:3.12-slim'), 'python:3.12-slim');
    assert.equal(shortRef('docker.io/me/app:1'), 'me/app:1');
    assert.equal(shortRef('ghcr.io/me/app:1'), 'ghcr.io/me/app:1');
  });
  it('lists up to three names', () => {
    assert.equal(listTargets(['a']), 'a');
    assert.equal(listTargets(['a', 'b']), 'a and b');
    assert.equal(listTargets(['a', 'b', 'a']), 'a and b');
    assert.equal(listTargets(['a', 'b', 'c', 'd']), '4 images');
  });
  it('reads package names out of summaries', () => {
    assert.equal(patchedPackages([null]), null);
    assert.equal(patchedPackages(['openssl 3.0.15-1 → 3.0.16-1; 4 more; 1 added, 2 removed']), 'openssl and 4 more');
    assert.equal(patchedPackages(['3 changed']), '3 packages');
    assert.equal(patchedPackages(['a 1 → 2', 'b 1 → 2', 'c 1 → 2', 'd 1 → 2']), 'a, b, c and 1 more');
  });
});

describe('newer base versions', () => {
  it('tells each newer minor or major tag once per base, patches not at all', () => {
    const base = (ref: string, newer: Array<{ tag: string; kind: 'patch' | 'minor' | 'major' }>) => ({
      ref,
      digest: null,
      via: 'layers' as const,
      latest: null,
      localId: null,
      newer,
      newerReason: null,
      eol: null,
    });
    const report = {
      ...emptyReport,
      images: [
        { name: 'a:1', tags: ['a:1'], id: 'x', platform: 'linux/amd64', source: null, status: 'current', reason: '', checkedAt: null, base: base('docker.io/library/python:3.12-slim', [{ tag: '3.13-slim', kind: 'minor' }]) },
        { name: 'b:1', tags: ['b:1'], id: 'y', platform: 'linux/amd64', source: null, status: 'current', reason: '', checkedAt: null, base: base('docker.io/library/python:3.12-slim', [{ tag: '3.13-slim', kind: 'minor' }]) },
        { name: 'c:1', tags: ['c:1'], id: 'z', platform: 'linux/amd64', source: null, status: 'current', reason: '', checkedAt: null, base: base('docker.io/library/node:22.1', [{ tag: '22.2', kind: 'patch' }]) },
      ],
    } as unknown as CheckReport;
    const items = notifiableItems({ ...cycle([]), report });
    assert.deepEqual(items.map((item) => [item.kind, item.target, item.digest]), [['newer', 'docker.io/library/python:3.12-slim', '3.13-slim']]);
    const built = buildNotification(items);
    assert.equal(built?.title, 'basewatch: 1 newer base version');
    assert.equal(built?.body, 'Newer base versions: python:3.12-slim → 3.13-slim (minor).');
  });
});
