import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { type LockProbes, acquireDaemonLock } from './daemon-lock.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function runtime(): Promise<{ runtime: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'daemon-lock-'));
  dirs.push(dir);
  return { runtime: path.join(dir, 'run') };
}
const probes = (alive: Set<number>, owner: number | null = null): LockProbes => ({
  isDaemonAlive: async (pid) => alive.has(pid),
  socketOwner: async () => owner,
});

it('takes the lock, refuses a second daemon naming the first pid, and releases', async () => {
  const paths = await runtime();
  const first = await acquireDaemonLock(paths, probes(new Set()), 1111);
  assert.ok(first.ok);
  assert.equal((await readFile(first.lock.pidFile, 'utf8')).trim(), '1111');
  assert.equal((await stat(paths.runtime)).mode & 0o777, 0o700);
  const second = await acquireDaemonLock(paths, probes(new Set([1111])), 2222);
  assert.equal(second.ok, false);
  assert.ok(!second.ok && second.pid === 1111 && /pid 1111/.test(second.message), JSON.stringify(second));
  await first.lock.release();
  assert.equal(existsSync(first.lock.pidFile), false);
  assert.ok((await acquireDaemonLock(paths, probes(new Set()), 2222)).ok);
});

it('cleans up the pid file and socket of a daemon that died', async () => {
  const paths = await runtime();
  const dead = await acquireDaemonLock(paths, probes(new Set()), 3333);
  assert.ok(dead.ok);
  // What a SIGKILLed daemon leaves: its pid file and a socket file nobody listens on.
  await writeFile(dead.lock.socketPath, '');
  assert.equal(existsSync(dead.lock.socketPath), true);
  const next = await acquireDaemonLock(paths, probes(new Set()), 4444);
  assert.ok(next.ok);
  assert.equal(next.cleaned.length, 2, JSON.stringify(next.cleaned));
  assert.equal(existsSync(dead.lock.socketPath), false);
  assert.equal((await readFile(next.lock.pidFile, 'utf8')).trim(), '4444');
});

it('refuses when a daemon answers on the socket even without a pid file', async () => {
  const paths = await runtime();
  const held = await acquireDaemonLock(paths, probes(new Set()), 5555);
  assert.ok(held.ok);
  await writeFile(held.lock.socketPath, '');
  await rm(held.lock.pidFile);
  const second = await acquireDaemonLock(paths, probes(new Set(), 5555), 6666);
  assert.ok(!second.ok && second.pid === 5555);
  assert.equal(existsSync(held.lock.pidFile), false, 'the refused daemon removed its own pid file');
});

it('treats an unreadable pid file from a dead process as stale', async () => {
  const paths = await runtime();
  const held = await acquireDaemonLock(paths, probes(new Set()), 7777);
  assert.ok(held.ok);
  await writeFile(held.lock.pidFile, 'garbage');
  assert.ok((await acquireDaemonLock(paths, probes(new Set()), 8888)).ok);
});
