import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import type { ProcessIdentity } from './process-identity.js';
import { FileLockTimeoutError, tryTakeFileLock, withFileLock } from './file-lock.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function lockDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'file-lock-'));
  dirs.push(dir);
  return path.join(dir, 'x.lock');
}
const who = (pid: number): ProcessIdentity => ({ pid, start: `s${pid}` });
const alive = (pids: Set<number>) => async (holder: ProcessIdentity) => pids.has(holder.pid);

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

it('takes, refuses while held, and is free again once released', async () => {
  const dir = await lockDir();
  const live = new Set([1, 2]);
  const first = await tryTakeFileLock(dir, { self: who(1), isRunning: alive(live) });
  assert.ok(first.ok, JSON.stringify(first));
  assert.equal(first.tookOver, null);
  const second = await tryTakeFileLock(dir, { self: who(2), isRunning: alive(live) });
  assert.ok(!second.ok, JSON.stringify(second));
  assert.equal(second.holder?.pid, 1);
  assert.ok(!(await tryTakeFileLock(dir, { self: who(1), isRunning: alive(live) })).ok, 'not re-entrant');
  await first.lock.release();
  assert.equal(JSON.parse(await readFile(first.lock.file, 'utf8')).released, true);
  const third = await tryTakeFileLock(dir, { self: who(2), isRunning: alive(live) });
  assert.ok(third.ok, JSON.stringify(third));
  assert.equal(third.tookOver, null, 'a released lock is not a stale one');
  assert.deepEqual(await readdir(dir), ['2']);
});

it('takes over from a holder that is gone, and tidies up after crashed writers', async () => {
  const dir = await lockDir();
  assert.ok((await tryTakeFileLock(dir, { self: who(1), isRunning: alive(new Set()) })).ok);
  await writeFile(path.join(dir, '.999999999.abcd.tmp'), 'left by a crash');
  const next = await tryTakeFileLock(dir, { self: who(2), isRunning: alive(new Set()) });
  assert.ok(next.ok);
  assert.equal(next.tookOver?.holder?.pid, 1);
  assert.deepEqual(await readdir(dir), ['2']);
});

it('two processes that both judged the same lock stale: one gets it, the other finds it held', async () => {
  const dir = await lockDir();
  assert.ok((await tryTakeFileLock(dir, { self: who(1), isRunning: alive(new Set()) })).ok);
  const live = new Set([2, 3]);
  const judged = gate();
  let judging = 0;
  // Both look at holder 1 and are held there until both have: they act on the same stale judgement.
  const slowAlive = async (holder: ProcessIdentity) => {
    if (holder.pid === 1 && ++judging === 2) judged.open();
    if (holder.pid === 1) await judged.wait;
    return live.has(holder.pid);
  };
  const [a, b] = await Promise.all([tryTakeFileLock(dir, { self: who(2), isRunning: slowAlive }), tryTakeFileLock(dir, { self: who(3), isRunning: slowAlive })]);
  assert.equal([a, b].filter((result) => result.ok).length, 1, JSON.stringify([a, b]));
  const loser = a.ok ? b : a;
  assert.ok(!loser.ok, JSON.stringify(loser));
  assert.equal(loser.holder?.pid, a.ok ? 2 : 3);
});

it('a racer that judged an old lock long ago cannot take it from the holder that cleared it', async () => {
  const dir = await lockDir();
  assert.ok((await tryTakeFileLock(dir, { self: who(1), isRunning: alive(new Set()) })).ok);
  const live = new Set([2, 3]);
  const slow = gate();
  const looking = gate();
  // 3 reads holder 1 and stalls before its verdict (a paused process)...
  const late = tryTakeFileLock(dir, {
    self: who(3),
    isRunning: async (holder) => {
      if (holder.pid === 1) {
        looking.open();
        await slow.wait;
      }
      return live.has(holder.pid);
    },
  });
  await looking.wait;
  // ...meanwhile 2 takes over and clears 1's file away...
  const winner = await tryTakeFileLock(dir, { self: who(2), isRunning: alive(live) });
  assert.ok(winner.ok);
  assert.deepEqual(await readdir(dir), ['2']);
  // ...then 3 acts on its old verdict: it re-creates "1", sees "2" and gives way.
  slow.open();
  const result = await late;
  assert.ok(!result.ok, JSON.stringify(result));
  assert.equal(result.holder?.pid, 2, JSON.stringify(result));
  assert.deepEqual(await readdir(dir), ['2']);
  assert.equal(JSON.parse(await readFile(path.join(dir, '2'), 'utf8')).pid, 2);
});

it('withFileLock runs one holder at a time and gives up after the wait', async () => {
  const dir = await lockDir();
  const counter = path.join(path.dirname(dir), 'counter');
  await writeFile(counter, '0');
  const live = new Set([11, 12, 13, 14, 15]);
  await Promise.all(
    [...live].map((pid) =>
      withFileLock(
        dir,
        async () => {
          const value = Number(await readFile(counter, 'utf8'));
          await new Promise((resolve) => setTimeout(resolve, 5));
          await writeFile(counter, String(value + 1));
        },
        { self: who(pid), isRunning: alive(live) },
      ),
    ),
  );
  assert.equal(await readFile(counter, 'utf8'), '5', 'no read-modify-write was lost');

  const held = await tryTakeFileLock(dir, { self: who(20), isRunning: alive(new Set([20])) });
  assert.ok(held.ok);
  await assert.rejects(withFileLock(dir, async () => 1, { self: who(21), isRunning: alive(new Set([20])), waitMs: 50 }), (error) => error instanceof FileLockTimeoutError && /pid 20/.test(error.message));
});
