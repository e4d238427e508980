import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckReport, ImageReport } from '../report/check-report.js';
import { type PlanInput, planActions } from './plan-actions.js';
import { matchesImageGlob } from '../refs/image-glob.js';

const LATEST = `sha256:${'b'.repeat(64)}`;
const NOW = new Date('2026-11-22T12:00:00Z');

function image(name: string, extra: Partial<ImageReport> = {}): ImageReport {
  return {
    name,
    tags: [name],
    id: `sha256:${name}`,
    platform: 'linux/amd64',
    base: {
      ref: 'docker.io/library/python:3.12-slim',
      digest: `sha256:${'a'.repeat(64)}`,
      via: 'layers',
      latest: LATEST,
      localId: null,
      newer: null,
      newerReason: null,
      eol: null,
    },
    source: null,
    status: 'outdated',
    reason: '',
    checkedAt: NOW.toISOString(),
    ...extra,
  };
}

function input(images: ImageReport[], extra: Partial<PlanInput> = {}): PlanInput {
  const report: CheckReport = {
    engine: null,
    offline: false,
    roots: [],
    images,
    dockerfiles: [],
    compose: [{ path: '/src/shop/compose.yaml', project: 'shop', services: [], errors: [] }],
    registries: [],
    errors: [],
  };
  const firstSeenAt = new Date(NOW.getTime() - 2 * 3600_000).toISOString();
  return {
    report,
    policy: 'auto',
    policies: [],
    ignore: [],
    minimumAgeSeconds: 3600,
    upstream: {
      'docker.io/library/python:3.12-slim linux/amd64': {
        ref: 'docker.io/library/python:3.12-slim',
        platform: 'linux/amd64',
        digest: LATEST,
        platformDigest: null,
        configDigest: null,
        firstSeenAt,
        checkedAt: NOW.toISOString(),
      },
    },
    buildable: new Set(),
    now: NOW,
    ...extra,
  };
}

describe('planActions', () => {
  it('auto: rebase, falling back to rebuild only when a Dockerfile is known', () => {
    const [plain, known] = planActions(input([image('plain:1'), image('known:1')], { buildable: new Set(['sha256:known:1']) }));
    assert.deepEqual(plain?.action, { kind: 'rebase', otherwise: 'report' });
    assert.deepEqual(known?.action, { kind: 'rebase', otherwise: 'rebuild' });
    assert.equal(known?.digest, LATEST);
  });

  it('skips current, unlinked and ignored images, saying why', () => {
    const plans = planActions(
      input([image('ok:1', { status: 'current' }), image('lost:1', { status: 'unlinked', base: null, reason: 'no base found' }), image('test-x:1')], { ignore: ['test-*'] }),
    );
    assert.deepEqual(plans.map((p) => [p.action.kind, p.why]), [
      ['skip', 'up to date'],
      ['skip', 'unlinked: no base found'],
      ['skip', 'ignored (ignore: test-*)'],
    ]);
  });

  it('waits until a new digest is minimumAge old', () => {
    const [young] = planActions(input([image('app:1')], { minimumAgeSeconds: 3 * 3600 }));
    assert.equal(young?.action.kind, 'skip');
    assert.match(young?.why ?? '', /first seen 2 h ago; waiting until it is 3 h old \(minimumAge, 1 h to go\); to act now: basewatch rebase app:1, or basewatch config set minimumAge 0/);
    const [now] = planActions(input([image('app:1')], { minimumAgeSeconds: 0 }));
    assert.equal(now?.action.kind, 'rebase');
    // A digest the state has not seen before counts as brand new.
    const [unseen] = planActions(input([image('app:1')], { upstream: {} }));
    assert.equal(unseen?.action.kind, 'skip');
  });

  it('takes the first matching rule by image glob, compose project or folder', () => {
    const composed = image('shop-web:latest', {
      source: { dockerfile: '/src/shop/web/Dockerfile', context: '/src/shop/web', target: null, compose: '/src/shop/compose.yaml', service: 'web', args: {} },
    });
    const plans = planActions(
      input([image('app:1'), composed, image('tool:2')], {
        policies: [
          { image: 'app:*', policy: 'notify' },
          { compose: 'shop', policy: 'rebuild' },
          { folder: '/src', policy: 'rebase' },
        ],
        buildable: new Set([composed.id]),
      }),
    );
    assert.deepEqual(plans.map((p) => [p.policy, p.action.kind, p.why]), [
      ['notify', 'report', 'policies[0] says notify'],
      ['rebuild', 'rebuild', 'policies[1] says rebuild'],
      ['auto', 'rebase', 'default policy auto'],
    ]);
  });

  it('reports instead of rebuilding when no Dockerfile is known', () => {
    const [entry] = planActions(input([image('app:1')], { policy: 'rebuild' }));
    assert.equal(entry?.action.kind, 'report');
    assert.match(entry?.why ?? '', /no Dockerfile is known for it \(basewatch link app:1 <Dockerfile>\)/);
  });
});

describe('matchesImageGlob', () => {
  it('matches tags the way people write them', () => {
    assert.ok(matchesImageGlob('app:*', ['app:1']));
    assert.ok(matchesImageGlob('app', ['app:dev']));
    assert.ok(matchesImageGlob('ghcr.io/me/*', ['ghcr.io/me/tool:2']));
    assert.ok(matchesImageGlob('*:dev', ['x:dev']));
    assert.ok(matchesImageGlob('podapp:*', ['localhost/podapp:1']));
    assert.ok(!matchesImageGlob('app:*', ['myapp:1']));
    assert.ok(!matchesImageGlob('app', ['application:1']));
  });
});
