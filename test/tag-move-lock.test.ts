// The tag-move lock across processes: several movers racing for it, a killed mover's lock, an
// older basewatch's lock file (stale, with a dead pid, or held by a live one), a live holder.
// Needs no engine or registry.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { tryTakeFileLock } from '../src/util/file-lock.js';
import { TAG_MOVE_LOCK_NAME, TagMoveLockTimeoutError, withTagMoveLock } from '../src/act/tag-moves/tag-move-lock.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});
async function stateDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tag-move-lock-'));
  dirs.push(dir);
  return path.join(dir, 'state');
}

const LOCK_MODULE = JSON.stringify(new URL('../src/act/tag-moves/tag-move-lock.js', import.meta.url).href);

/** A node process that does nothing until killed; `basewatch` in its command line like the real one. */
function idleProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'basewatch'], { stdio: 'ignore' });
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
}

/** A pid that ran and is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await exited(child);
  return child.pid!;
}

/** What a basewatch killed while moving tags leaves: it took the lock and never let go. */
async function crashInsideLock(dir: string): Promise<void> {
  const script = `
    const { withTagMoveLock } = await import(${LOCK_MODULE});
    await withTagMoveLock(process.argv[1], async () => {
      process.stdout.write('in\\n');
      await new Promise(() => setInterval(() => {}, 1000));
    });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'in');
  child.kill('SIGKILL');
  await exited(child);
}

/**
 * Mover processes: each, told "go" on stdin, takes the lock `rounds` times and inside writes
 * "enter <pid>", waits a moment and writes "exit <pid>" to the shared log (O_APPEND, one write
 * per line, so lines never tear).
 */
const MOVER = `
  const { withTagMoveLock } = await import(${LOCK_MODULE});
  const { appendFileSync } = await import('node:fs');
  const [dir, log, rounds] = process.argv.slice(1);
  process.stdout.write('ready\\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  for (let i = 0; i < Number(rounds); i++) {
    await withTagMoveLock(dir, async () => {
      appendFileSync(log, 'enter ' + process.pid + '\\n');
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      appendFileSync(log, 'exit ' + process.pid + '\\n');
    });
  }
  process.exit(0);
`;

async function raceMovers(dir: string, movers: number, rounds: number): Promise<void> {
  const log = path.join(path.dirname(dir), 'moves.log');
  await fs.rm(log, { force: true });
  const children = Array.from({ length: movers }, () =>
    spawn(process.execPath, ['--input-type=module', '-e', MOVER, dir, log, String(rounds)], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const stderr = children.map((child) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return () => text;
  });
  const codes = children.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve)));
  await Promise.all(children.map((child) => createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()));
  for (const child of children) child.stdin!.end('go\n');
  assert.deepEqual(await Promise.all(codes), children.map(() => 0), stderr.map((text) => text()).join('\n'));

  const lines = (await fs.readFile(log, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 2 * movers * rounds);
  for (let i = 0; i < lines.length; i += 2) {
    const pid = lines[i]!.split(' ')[1];
    assert.deepEqual([lines[i], lines[i + 1]], [`enter ${pid}`, `exit ${pid}`], `two movers held the lock at once (log line ${i + 1}):\n${lines.slice(Math.max(0, i - 2), i + 4).join('\n')}`);
  }
}

describe('tag-move lock', () => {
  it('lets one process at a time move tags, also when a killed mover left its lock behind', { timeout: 120_000 }, async () => {
    const dir = await stateDir();
    await crashInsideLock(dir);
    await raceMovers(dir, 5, 20);
  });

  it('takes over a stale lock file of an older basewatch (pid gone) at once', { timeout: 120_000 }, async () => {
    const dir = await stateDir();
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, TAG_MOVE_LOCK_NAME), String(await deadPid()));
    await raceMovers(dir, 5, 20);
    assert.ok((await fs.stat(path.join(dir, TAG_MOVE_LOCK_NAME))).isDirectory());
  });

  it('waits for an older basewatch that holds its lock file, then names it; never for a stale one', async () => {
    const dir = await stateDir();
    await fs.mkdir(dir, { recursive: true });
    const legacy = path.join(dir, TAG_MOVE_LOCK_NAME);
    const older = idleProcess();
    try {
      await fs.writeFile(legacy, String(older.pid));
      await assert.rejects(withTagMoveLock(dir, async () => 'moved', { waitMs: 300 }), (error) => {
        assert.ok(error instanceof TagMoveLockTimeoutError);
        assert.match(error.message, new RegExp(`older basewatch \\(pid ${older.pid}\\).*kill ${older.pid}`));
        return true;
      });
      // Older than any move of that version took: its pid is alive only because it was reused.
      const hourAgo = new Date(Date.now() - 3_600_000);
      await fs.utimes(legacy, hourAgo, hourAgo);
      assert.equal(await withTagMoveLock(dir, async () => 'moved', { waitMs: 300 }), 'moved');
    } finally {
      older.kill('SIGKILL');
      await exited(older);
    }

    // Created empty by an older version that died before writing its pid; fresh, it may still be writing.
    await fs.rm(legacy, { recursive: true });
    await fs.writeFile(legacy, '');
    await assert.rejects(withTagMoveLock(dir, async () => 'moved', { waitMs: 300 }), TagMoveLockTimeoutError);
    const minuteAgo = new Date(Date.now() - 60_000);
    await fs.utimes(legacy, minuteAgo, minuteAgo);
    assert.equal(await withTagMoveLock(dir, async () => 'moved', { waitMs: 300 }), 'moved');
  });

  it('gives up on a live holder after the wait with an error naming its pid', async () => {
    const dir = await stateDir();
    const held = await tryTakeFileLock(path.join(dir, TAG_MOVE_LOCK_NAME));
    assert.ok(held.ok);
    try {
      await assert.rejects(withTagMoveLock(dir, async () => 'moved', { waitMs: 200 }), (error) => {
        assert.ok(error instanceof TagMoveLockTimeoutError);
        assert.match(error.message, new RegExp(`another basewatch \\(pid ${process.pid}\\) has been moving image tags .*kill ${process.pid}`));
        return true;
      });
    } finally {
      await held.lock.release();
    }
    assert.equal(await withTagMoveLock(dir, async () => 'moved', { waitMs: 200 }), 'moved');
  });

  it('errors inside the lock reach the caller, and the lock is free afterwards', async () => {
    const dir = await stateDir();
    await assert.rejects(withTagMoveLock(dir, async () => { throw new Error('engine said no'); }), /engine said no/);
    assert.equal(await withTagMoveLock(dir, async () => 'moved', { waitMs: 200 }), 'moved');
  });
});
