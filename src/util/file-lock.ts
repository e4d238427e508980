/**
 * An exclusive lock between processes that a crash cannot leave stuck, and that two processes
 * taking over the same stale lock cannot both get.
 *
 * Node has no flock(2). The usual pid file ("create it with O_EXCL; when it exists and its owner
 * is dead, remove it and try again") is not safe: between judging the file stale and removing it,
 * another process may have removed it already and created its own, and that one goes. Renaming
 * the stale file aside instead has the same hole: the rename moves whatever the name holds by
 * then, and putting a wrongly moved file back races a third process. So no process ever removes
 * or replaces a file that another may hold. The lock is a folder of numbered files, each created
 * whole with link(2), which fails when the name exists:
 *
 * - the holder is the process that created the highest number;
 * - a process takes the lock by creating highest+1 after judging the holder of the highest gone
 *   (or the lock released). Of the racers for one stale lock exactly one link succeeds; the
 *   others see EEXIST, look again and find a live holder;
 * - the winner removes the lower numbers. A racer that judged an old number long ago can
 *   re-create one of those, so after a link a process counts itself the holder only when no
 *   higher number exists; otherwise it removes its own file and looks again;
 * - release rewrites the holder's own file as released (renamed over it, never removed), so the
 *   highest number never goes away and numbers only grow.
 *
 * This holds as long as a live holder is never judged gone: see process-identity.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UnreadableFileError, readBoundedFile } from './read-bounded-file.js';
import { z } from 'zod';
import { type ProcessIdentity, isProcessRunning, ownProcessIdentity, processExists } from './process-identity.js';
import { ensurePrivateDir } from './private-path.js';

const HolderSchema = z.object({
  pid: z.number().int().positive(),
  start: z.string().nullable(),
  released: z.boolean().default(false),
});

export interface FileLockOptions {
  /** Who takes the lock. Default: this process. */
  readonly self?: ProcessIdentity;
  /** Whether a holder still runs. Default: same pid and same start time (isProcessRunning). */
  readonly isRunning?: (holder: ProcessIdentity) => Promise<boolean>;
}

export interface HeldFileLock {
  /** The numbered file that says we hold it. */
  readonly file: string;
  /** Marks the lock released; safe to call twice. */
  release(): Promise<void>;
}

/** A lock that was taken over: its file, and who held it (null when the file did not parse). */
export interface StaleLock {
  readonly file: string;
  readonly holder: ProcessIdentity | null;
}

export type TakeLockResult =
  | { readonly ok: true; readonly lock: HeldFileLock; readonly tookOver: StaleLock | null }
  /** holder: who has it (null when it kept changing hands while we looked). */
  | { readonly ok: false; readonly holder: ProcessIdentity | null };

export class FileLockTimeoutError extends Error {
  override readonly name = 'FileLockTimeoutError';

  constructor(
    /** The lock's folder. */
    readonly dir: string,
    /** Who held it when we gave up (null when it kept changing hands). */
    readonly holder: ProcessIdentity | null,
    readonly waitedMs: number,
  ) {
    super(`${dir} is still held by ${holder === null ? 'other processes' : `pid ${holder.pid}`} after ${waitedMs} ms`);
  }
}

/** Each retry follows another process's successful take: a handful means the lock keeps changing hands. */
const MAX_ATTEMPTS = 10;

type Entry = { readonly kind: 'number'; readonly n: number } | { readonly kind: 'temp'; readonly name: string; readonly pid: number };

async function entries(dir: string): Promise<Entry[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.flatMap((name): Entry[] => {
    if (/^[1-9]\d{0,14}$/.test(name)) return [{ kind: 'number', n: Number(name) }];
    const temp = /^\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    return temp === null ? [] : [{ kind: 'temp', name, pid: Number(temp[1]) }];
  });
}

const numbers = (list: readonly Entry[]): number[] =>
  list.flatMap((entry) => (entry.kind === 'number' ? [entry.n] : [])).sort((a, b) => b - a);

type Read = { readonly kind: 'missing' } | { readonly kind: 'unreadable' } | { readonly kind: 'holder'; readonly holder: ProcessIdentity; readonly released: boolean };

async function readHolder(file: string): Promise<Read> {
  // Bounded, regular files only: a FIFO in its place must not block every lock taker.
  const read = await readBoundedFile(file, 'lock');
  if (!read.ok) {
    if (read.problem === 'missing') return { kind: 'missing' };
    if (read.problem === 'unreadable') throw new UnreadableFileError(file, read.problem, read.message);
    // Not basewatch's: nobody holds it.
    return { kind: 'unreadable' };
  }
  const text = read.text;
  try {
    const parsed = HolderSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { kind: 'holder', holder: { pid: parsed.data.pid, start: parsed.data.start }, released: parsed.data.released };
  } catch {
    // not JSON: below
  }
  // Files are only ever created whole, so this one was damaged by something else: nobody holds it.
  return { kind: 'unreadable' };
}

function tempName(dir: string): string {
  return path.join(dir, `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Creates `file` with this content, whole, or answers false when the name exists. */
async function createWhole(file: string, content: string): Promise<boolean> {
  const temp = tempName(path.dirname(file));
  await fs.writeFile(temp, content, { mode: 0o600 });
  try {
    await fs.link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

function heldLock(file: string, self: ProcessIdentity): HeldFileLock {
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      // Renamed over our own file: a reader sees us or "released", and the number stays taken.
      const temp = tempName(path.dirname(file));
      await fs.writeFile(temp, JSON.stringify({ ...self, released: true }), { mode: 0o600 });
      try {
        await fs.rename(temp, file);
      } catch (error) {
        await fs.rm(temp, { force: true });
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    },
  };
}

/** Takes the lock kept in folder `dir` when nobody who still runs holds it; never waits. */
export async function tryTakeFileLock(dir: string, options: FileLockOptions = {}): Promise<TakeLockResult> {
  await ensurePrivateDir(path.dirname(dir));
  await ensurePrivateDir(dir);
  const self = options.self ?? (await ownProcessIdentity());
  const isRunning = options.isRunning ?? isProcessRunning;
  let lastHolder: ProcessIdentity | null = null;

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const top = numbers(await entries(dir))[0];
    let stale: StaleLock | null = null;
    if (top !== undefined) {
      const file = path.join(dir, String(top));
      const read = await readHolder(file);
      // Only a loser's re-created lower number goes away; the real highest was created meanwhile.
      if (read.kind === 'missing') continue;
      if (read.kind === 'holder' && !read.released) {
        lastHolder = read.holder;
        // Not re-entrant: a process asking twice is refused like anyone else.
        const ours = read.holder.pid === self.pid && read.holder.start === self.start;
        if (ours || (await isRunning(read.holder))) return { ok: false, holder: read.holder };
        stale = { file, holder: read.holder };
      } else if (read.kind === 'unreadable') {
        stale = { file, holder: null };
      }
    }

    const mine = (top ?? 0) + 1;
    const file = path.join(dir, String(mine));
    if (!(await createWhole(file, JSON.stringify(self)))) continue; // someone else took it: judge them
    const now = await entries(dir);
    if (numbers(now).some((n) => n > mine)) {
      // We judged an old number and re-created one the holder had already cleared away.
      await fs.rm(file, { force: true });
      continue;
    }
    await Promise.all(
      now
        .filter((entry) => (entry.kind === 'number' ? entry.n < mine : !processExists(entry.pid)))
        .map((entry) => fs.rm(path.join(dir, entry.kind === 'number' ? String(entry.n) : entry.name), { force: true })),
    );
    return { ok: true, lock: heldLock(file, self), tookOver: stale };
  }
  return { ok: false, holder: lastHolder };
}

export interface WaitForLockOptions extends FileLockOptions {
  /** How long to wait for a live holder to let go. Default 10 s. */
  readonly waitMs?: number;
}

/** Runs `run` holding the lock in `dir`, waiting for it first; FileLockTimeoutError when it does not come free. */
export async function withFileLock<T>(dir: string, run: () => Promise<T>, options: WaitForLockOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  let pause = 5;
  for (;;) {
    const taken = await tryTakeFileLock(dir, options);
    if (taken.ok) {
      try {
        return await run();
      } finally {
        await taken.lock.release();
      }
    }
    if (Date.now() >= deadline) throw new FileLockTimeoutError(dir, taken.holder, options.waitMs ?? 10_000);
    // Holders keep it for milliseconds; jitter keeps waiters from retrying in step.
    await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
    pause = Math.min(pause * 2, 100);
  }
}
