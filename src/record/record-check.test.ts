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

it('a partial check updates its images in the saved report in place; a full one replaces it', () => {
  const image = (name: string, id: string, status: string) => ({ name, tags: [name], id, platform: 'linux/amd64', base: null, source: null, status, reason: '', checkedAt: null });
  const at = new Date('2026-11-22T00:00:00Z');
  const full: CheckToRecord = { report: { ...report, images: [image('a:1', 'ida', 'outdated'), image('b:1', 'idb', 'outdated'), image('c:1', 'idc', 'current')] } as never, observations: [] };
  let state = mergeCheckIntoState(emptyState(), full, at, 1);
  // b:1 was rebased (new id) by an event-driven cycle about b:1 only; c:1 is now ignored.
  const partial: CheckToRecord = {
    report: { ...report, images: [image('b:1', 'idb2', 'current')], ignored: [{ kind: 'image', name: 'c:1', glob: 'c:*' }] } as never,
    observations: [],
    partial: true,
  };
  state = mergeCheckIntoState(state, partial, at, 1);
  assert.deepEqual(state.lastCheck?.report.images.map((entry) => [entry.name, entry.id, entry.status]), [['a:1', 'ida', 'outdated'], ['b:1', 'idb2', 'current']]);
  state = mergeCheckIntoState(state, { report: { ...report, images: [image('b:1', 'idb2', 'current')] } as never, observations: [] }, at, 1);
  assert.deepEqual(state.lastCheck?.report.images.map((entry) => entry.name), ['b:1']);
});

it('after the act step, a rebased image is current under its new id in the saved report; others are as checked', async () => {
  const { withActionsApplied } = await import('./record-check.js');
  const image = (name: string, id: string) => ({ name, tags: [name], id, platform: 'linux/amd64', base: { ref: 'docker.io/library/python:3', digest: 'sha256:old', via: 'layers', latest: 'sha256:new', localId: null }, source: null, status: 'outdated', reason: 'moved', checkedAt: null });
  const checked = { ...report, images: [image('a:1', 'sha256:a1'), image('b:1', 'sha256:b1')] } as never;
  const action = { target: 'a:1', kind: 'rebased', reason: '', baseRef: 'docker.io/library/python:3', digest: 'sha256:new', oldImageId: 'sha256:a1', newImageId: 'sha256:a2', packages: null, containersOnOldImage: [], warnings: [] } as const;
  const after = withActionsApplied(checked, [action, { ...action, target: 'b:1', kind: 'failed', oldImageId: 'sha256:b1', newImageId: null }], 't');
  assert.deepEqual(after.images.map((entry) => [entry.name, entry.id, entry.status, entry.base?.digest]), [['a:1', 'sha256:a2', 'current', 'sha256:new'], ['b:1', 'sha256:b1', 'outdated', 'sha256:old']]);
  assert.match(after.images[0]?.reason ?? '', /^rebased onto docker\.io\/library\/python:3@sha256:new at t$/);
});

it("an edit's partial check drops the saved entries built from the edited files that it did not report again", () => {
  const source = (dockerfile: string) => ({ dockerfile, context: null, target: null, compose: null, service: null, args: {} });
  const image = (name: string, id: string, dockerfile: string | null) => ({ name, tags: [name], id, platform: 'linux/amd64', base: null, source: dockerfile === null ? null : source(dockerfile), status: 'current', reason: '', checkedAt: null });
  const at = new Date('2026-11-22T00:00:00Z');
  const full: CheckToRecord = { report: { ...report, images: [image('a:1', 'ida', '/p/a/Dockerfile'), image('b:1', 'idb', '/p/b/Dockerfile'), image('c:1', 'idc', null)] } as never, observations: [] };
  const saved = mergeCheckIntoState(emptyState(), full, at, 1);
  // a:1 was removed by `docker rmi`, then /p/a/Dockerfile was edited: the edit reports nothing built from it.
  const edit: CheckToRecord = { report: { ...report, images: [] } as never, observations: [], partial: true, replacedFiles: ['/p/a/Dockerfile'] };
  assert.deepEqual(mergeCheckIntoState(saved, edit, at, 1).lastCheck?.report.images.map((entry) => entry.name), ['b:1', 'c:1']);
  // Without the edited files named, a partial check keeps what it did not look at.
  assert.deepEqual(mergeCheckIntoState(saved, { ...edit, replacedFiles: undefined } as never, at, 1).lastCheck?.report.images.map((entry) => entry.name), ['a:1', 'b:1', 'c:1']);
});
