import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { processStartTime } from '../util/process-identity.js';
import { DAEMON_LOCK_NAME, type LockProbes, acquireDaemonLock, defaultProbes } from './daemon-lock.js';

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
  processStart: async (pid) => `started-${pid}`,
  isDaemonAlive: async (holder) => alive.has(holder.pid),
  socketOwner: async () => owner,
});
const lockFiles = async (paths: { runtime: string }): Promise<string[]> => readdir(path.join(paths.runtime, DAEMON_LOCK_NAME));

it('takes the lock, refuses a second daemon naming the first pid, and releases', async () => {
  const paths = await runtime();
  const first = await acquireDaemonLock(paths, probes(new Set()), 1111);
  assert.ok(first.ok);
  assert.equal((await readFile(first.lock.pidFile, 'utf8')).trim(), '1111');
  assert.equal((await stat(paths.runtime)).mode & 0o777, 0o700);
  const second = await acquireDaemonLock(paths, probes(new Set([1111])), 2222);
  assert.equal(second.ok, false);
  assert.ok(!second.ok, JSON.stringify(second));
  assert.equal(second.pid, 1111, JSON.stringify(second));
  assert.match(second.message, /pid 1111/);
  await first.lock.release();
  assert.equal(existsSync(first.lock.pidFile), false);
  // 1111 still "runs", but it let go: the lock is free.
  assert.ok((await acquireDaemonLock(paths, probes(new Set([1111])), 2222)).ok);
  assert.equal((await lockFiles(paths)).length, 1, 'the released lock file was cleared away');
});

it('cleans up the lock, pid file and socket of a daemon that died', async () => {
  const paths = await runtime();
  const dead = await acquireDaemonLock(paths, probes(new Set()), 3333);
  assert.ok(dead.ok);
  // What a SIGKILLed daemon leaves: its lock, its pid file and a socket file nobody listens on.
  await writeFile(dead.lock.socketPath, '');
  const next = await acquireDaemonLock(paths, probes(new Set()), 4444);
  assert.ok(next.ok);
  assert.equal(next.cleaned.length, 3, JSON.stringify(next.cleaned));
  assert.match(next.cleaned[0]!, /pid 3333 is gone/);
  assert.equal(existsSync(dead.lock.socketPath), false);
  assert.equal((await readFile(next.lock.pidFile, 'utf8')).trim(), '4444');
});

it('refuses when a daemon answers on the socket even without a lock', async () => {
  const paths = await runtime();
  const held = await acquireDaemonLock(paths, probes(new Set()), 5555);
  assert.ok(held.ok);
  await writeFile(held.lock.socketPath, '');
  await rm(held.lock.pidFile);
  await rm(path.join(paths.runtime, DAEMON_LOCK_NAME), { recursive: true });
  const second = await acquireDaemonLock(paths, probes(new Set(), 5555), 6666);
  assert.ok(!second.ok, JSON.stringify(second));
  assert.equal(second.pid, 5555);
  assert.equal(existsSync(held.lock.pidFile), false, 'the refused daemon wrote no pid file');
  // 6666 still runs, but the lock it took for a moment is released.
  assert.ok((await acquireDaemonLock(paths, probes(new Set([6666])), 7777)).ok, 'and let go of the lock');
});

it('treats a damaged lock file as stale', async () => {
  const paths = await runtime();
  const held = await acquireDaemonLock(paths, probes(new Set()), 7777);
  assert.ok(held.ok);
  for (const name of await lockFiles(paths)) await writeFile(path.join(paths.runtime, DAEMON_LOCK_NAME, name), 'garbage');
  await writeFile(held.lock.pidFile, 'garbage');
  assert.ok((await acquireDaemonLock(paths, probes(new Set([7777])), 8888)).ok);
});

/** A node process that does nothing until killed. */
function idleProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}

it('tells a reused pid from the daemon that took the lock by its start time', async () => {
  const other = idleProcess();
  try {
    const pid = other.pid!;
    let start: string | null = null;
    for (let i = 0; i < 50 && start === null; i++) {
      start = await processStartTime(pid);
      if (start === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.notEqual(start, null);
    // A live process with the recorded pid but another start time: the daemon died, its pid was reused.
    const reused = await runtime();
    const crashed = await acquireDaemonLock(reused, { ...defaultProbes, processStart: async () => 'an earlier process' }, pid);
    assert.ok(crashed.ok);
    const next = await acquireDaemonLock(reused);
    assert.ok(next.ok, JSON.stringify(next));
    assert.match(next.cleaned.join('\n'), new RegExp(`pid ${pid} is gone`));
    await next.lock.release();
    // The same pid and start time: it runs.
    const running = await runtime();
    assert.ok((await acquireDaemonLock(running, defaultProbes, pid)).ok);
    const refused = await acquireDaemonLock(running);
    assert.ok(!refused.ok, JSON.stringify(refused));
    assert.equal(refused.pid, pid, JSON.stringify(refused));
  } finally {
    other.kill('SIGKILL');
  }
});
