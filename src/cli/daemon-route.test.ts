import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CycleResult } from '../record/cycle-result.js';
import { onlyRequested } from './daemon-route.js';

it('keeps only the requested images of a daemon cycle: report, plan and actions; and the errors about those names', () => {
  const image = (name: string, id: string) => ({ name, tags: [name], id, platform: 'linux/amd64', base: null, source: null, status: 'current', reason: '', checkedAt: null });
  const plan = (name: string, id: string) => ({ image: name, imageId: id, baseRef: null, digest: null, policy: 'auto', action: { kind: 'skip' }, why: '' });
  const action = (target: string) => ({ target, kind: 'skipped', reason: '', baseRef: null, digest: null, oldImageId: null, newImageId: null, packages: null, containersOnOldImage: [], warnings: [] });
  const cycle = {
    trigger: { kind: 'cli' },
    startedAt: 't0',
    finishedAt: 't1',
    dryRun: true,
    report: {
      engine: null, offline: false, roots: [], dockerfiles: [], compose: [], registries: [],
      images: [image('app:1', 'sha256:aaa'), image('web:1', 'sha256:bbb')],
      errors: [{ where: 'nosuch:1', message: 'no tagged local image' }, { where: '/x/Dockerfile', message: 'broken' }],
    },
    plan: [plan('app:1', 'sha256:aaa'), plan('web:1', 'sha256:bbb')],
    actions: [action('app:1'), action('web:1')],
  } as unknown as CycleResult;
  const trimmed = onlyRequested(cycle, ['docker.io/library/app:1', 'nosuch:1']);
  assert.deepEqual(trimmed.report.images.map((entry) => entry.name), ['app:1']);
  assert.deepEqual(trimmed.plan.map((entry) => entry.image), ['app:1']);
  assert.deepEqual(trimmed.actions.map((entry) => entry.target), ['app:1']);
  assert.deepEqual(trimmed.report.errors.map((error) => error.where), ['nosuch:1']);
  assert.equal(onlyRequested(cycle, []), cycle, 'nothing named: the whole cycle');
});
