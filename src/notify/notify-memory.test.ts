import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import type { NotificationItem } from './notification-message.js';
import { emptyMemory, loadNotifyMemory, rememberSent, saveNotifyMemory, snoozeCovers, unseenItems, withSnooze } from './notify-memory.js';

const item = (target: string, digest: string, kind: NotificationItem['kind'] = 'reported'): NotificationItem => ({
  kind,
  target,
  baseRef: 'docker.io/library/python:3.12-slim',
  digest,
  reason: '',
  packages: null,
  containers: [],
});

it('never tells the same outcome for the same image and digest twice', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const first = [item('app:1', 'sha256:a'), item('web:1', 'sha256:a')];
  const memory = rememberSent(emptyMemory(), unseenItems(emptyMemory(), first, now), now);
  assert.deepEqual(unseenItems(memory, first, now), []);
  // A new digest, or a new outcome for the same digest, is news.
  assert.deepEqual(unseenItems(memory, [item('app:1', 'sha256:b')], now).map((i) => i.digest), ['sha256:b']);
  assert.equal(unseenItems(memory, [item('app:1', 'sha256:a', 'rebased')], now).length, 1);
});

it('snoozes an image or a base, for a while', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const later = new Date('2026-01-01T02:00:00Z');
  let memory = withSnooze(emptyMemory(), 'app:1', 3600, now);
  assert.deepEqual(unseenItems(memory, [item('app:1', 'x'), item('web:1', 'x')], now).map((i) => i.target), ['web:1']);
  assert.equal(unseenItems(memory, [item('app:1', 'x')], later).length, 1, 'the snooze ended');
  memory = withSnooze(memory, 'python', 3600, now);
  assert.deepEqual(unseenItems(memory, [item('web:1', 'x')], now), [], 'a tagless base covers every tag');
  assert.equal(unseenItems(withSnooze(memory, 'python', 0, now), [item('web:1', 'x')], now).length, 1, '0 lifts it');
  assert.equal(snoozeCovers('python:3.12-slim', item('web:1', 'x')), true);
  assert.equal(snoozeCovers('python:3.11', item('web:1', 'x')), false);
  assert.equal(snoozeCovers('docker.io/library/app:1', item('app:1', 'x')), true);
});

it('stores memory atomically and survives a broken file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'notify-memory-'));
  try {
    assert.deepEqual(await loadNotifyMemory(dir), emptyMemory());
    const memory = withSnooze(emptyMemory(), 'app:1', 60, new Date());
    await saveNotifyMemory(dir, memory);
    assert.deepEqual(await loadNotifyMemory(dir), memory);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
