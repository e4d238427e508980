/**
 * The tag-move lock: one basewatch at a time moves image tags on this machine (see
 * util/file-lock), with a wait that names the holder when it runs out, and the migration of the
 * pid file an older basewatch kept at the same path.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FileLockTimeoutError, withFileLock } from '../../util/file-lock.js';
import { processExists } from '../../util/process-identity.js';
import { ensurePrivateDir } from '../../util/private-path.js';

/**
 * The lock's folder in the state folder (see util/file-lock). Basewatch before this version kept
 * a pid file of the same name; a folder there makes such a version fail its tag move (it cannot
 * read or remove a folder) instead of moving tags beside us.
 */
export const TAG_MOVE_LOCK_NAME = 'tag-move.lock';
/**
 * How long to wait for another basewatch's tag moves. A move is a few engine calls, but each may
 * take up to the engine client's 30 s timeout on a busy engine (a big `docker load`), and a
 * recovery inspects every tag first: two minutes rides that out. A holder that keeps it longer is
 * stuck (suspended with Ctrl-Z, an engine that hangs): say so rather than seem to hang with it.
 */
const TAG_MOVE_LOCK_WAIT_MS = 2 * 60 * 1000;
/** An older basewatch held its pid file for seconds, and its waiters gave up after 10 minutes. */
const LEGACY_LOCK_MAX_AGE_MS = 10 * 60 * 1000;
/** That pid file was created empty and the pid written next: empty for this long, its writer died. */
const LEGACY_LOCK_EMPTY_MS = 5_000;

export class TagMoveLockTimeoutError extends Error {
  override readonly name = 'TagMoveLockTimeoutError';
}

/**
 * The live pid in an older basewatch's pid file at the lock's path, or null when there is none
 * or it is stale (its process is gone, or the file is older than any move of that version took).
 */
async function legacyLockHolder(lockPath: string): Promise<{ readonly pid: number | null; readonly live: boolean } | null> {
  let text: string;
  let age: number;
  try {
    const stat = await fs.lstat(lockPath);
    if (stat.isDirectory()) return null;
    age = Date.now() - stat.mtimeMs;
    text = (await fs.readFile(lockPath, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Gone, or replaced by our own folder since the lstat.
    if (code === 'ENOENT' || code === 'EISDIR') return null;
    throw error;
  }
  if (text === '') return { pid: null, live: age < LEGACY_LOCK_EMPTY_MS };
  const pid = /^\d+$/.test(text) ? Number(text) : null;
  if (pid === null || pid === 0) return { pid: null, live: false };
  return { pid, live: pid !== process.pid && processExists(pid) && age < LEGACY_LOCK_MAX_AGE_MS };
}

/** Waits until no older basewatch holds a pid file at the lock's path, and removes a stale one. */
async function clearLegacyLock(lockPath: string, deadline: number, waitMs: number): Promise<void> {
  for (;;) {
    const legacy = await legacyLockHolder(lockPath);
    if (legacy === null) return;
    if (!legacy.live) {
      // Another of us may have removed it and made the folder meanwhile: that stays.
      await fs.unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
        if (!['ENOENT', 'EISDIR', 'EPERM'].includes(error.code ?? '')) throw error;
      });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = legacy.pid === null ? 'an older basewatch' : `an older basewatch (pid ${legacy.pid})`;
      const stop = legacy.pid === null ? 'stop it' : `stop it (\`kill ${legacy.pid}\`)`;
      throw new TagMoveLockTimeoutError(
        `${who} has been moving image tags for over ${formatWait(waitMs)} (its lock file ${lockPath}); let it finish or ${stop}, restart the basewatch service if it runs the older version, then run this again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function formatWait(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/**
 * One tag mover at a time per user: the daemon and the CLI (`rebase`, `rebuild`, `rollback`,
 * `update`) share the state folder, and two movers at once could leave a tag on the wrong image,
 * or one's journal recovery undo the other's move. A holder that died is taken over at once.
 * Not re-entrant: `run` must not take it again.
 */
export async function withTagMoveLock<T>(stateDir: string, run: () => Promise<T>, options: { readonly waitMs?: number } = {}): Promise<T> {
  const waitMs = options.waitMs ?? TAG_MOVE_LOCK_WAIT_MS;
  const lockDir = path.join(stateDir, TAG_MOVE_LOCK_NAME);
  const deadline = Date.now() + waitMs;
  await ensurePrivateDir(stateDir);
  await clearLegacyLock(lockDir, deadline, waitMs);
  try {
    return await withFileLock(lockDir, run, { waitMs: Math.max(0, deadline - Date.now()) });
  } catch (error) {
    if (!(error instanceof FileLockTimeoutError) || error.dir !== lockDir) throw error;
    if (error.holder === null) {
      throw new TagMoveLockTimeoutError(`other basewatch processes kept the tag-move lock ${lockDir} busy for ${formatWait(waitMs)}; run this again`);
    }
    const pid = error.holder.pid;
    throw new TagMoveLockTimeoutError(
      `another basewatch (pid ${pid}) has been moving image tags for over ${formatWait(waitMs)} (lock ${lockDir}); if it is stuck (suspended with Ctrl-Z, or waiting on an engine that does not answer), resume or stop it (\`kill ${pid}\`), then run this again`,
    );
  }
}
