/**
 * One daemon per user: a file lock in the runtime folder (see util/file-lock: two daemons taking
 * over a dead one's lock at the same moment cannot both get it), plus the control socket. The
 * lock records the daemon's pid and start time, so a reused pid is not taken for a running
 * daemon. The pid file beside it is for people and scripts (`kill $(cat daemon.pid)`); only the
 * lock holder writes or removes it, and only the lock holder removes a stale socket.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BasewatchPaths } from '../config/paths.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { tryTakeFileLock } from '../util/file-lock.js';
import { type ProcessIdentity, processExists, processStartTime } from '../util/process-identity.js';
import { readDaemonStatus } from './control-client.js';
import { controlSocketPath, pidFilePath } from './control-protocol.js';
import { checkPrivatePath, ensurePrivateDir } from '../util/private-path.js';

/** The lock's folder in the runtime folder. */
export const DAEMON_LOCK_NAME = 'daemon.lock';

export interface DaemonLock {
  readonly pidFile: string;
  readonly socketPath: string;
  /** Removes the socket and the pid file (if it is still ours), then lets go of the lock. */
  release(): Promise<void>;
}

export type LockResult =
  | { readonly ok: true; readonly lock: DaemonLock; readonly cleaned: readonly string[] }
  | { readonly ok: false; readonly pid: number | null; readonly message: string };

export interface LockProbes {
  /** When the process with this pid started (opaque), or null when that cannot be told. */
  processStart(pid: number): Promise<string | null>;
  /** Whether the daemon that took the lock still runs (same pid, same start time). */
  isDaemonAlive(holder: ProcessIdentity): Promise<boolean>;
  /** The pid a daemon listening on this socket reports, or null when nobody answers. */
  socketOwner(socketPath: string): Promise<number | null>;
}

/**
 * Without a start time to compare (no /proc, no ps), a live pid that is not a basewatch process
 * is a reused one; where even the command line cannot be read, assume it is ours.
 */
async function isBasewatchProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('basewatch');
  } catch {
    return true;
  }
}

async function isDaemonAlive(holder: ProcessIdentity): Promise<boolean> {
  if (!processExists(holder.pid)) return false;
  const start = holder.start === null ? null : await processStartTime(holder.pid);
  if (holder.start !== null && start !== null) return start === holder.start;
  return holder.pid !== process.pid && (await isBasewatchProcess(holder.pid));
}

export const defaultProbes: LockProbes = {
  processStart: (pid) => processStartTime(pid),
  isDaemonAlive,
  socketOwner: async (socketPath) => (await readDaemonStatus({ runtime: path.dirname(socketPath) }, 2_000))?.pid ?? null,
};

async function readPid(file: string): Promise<number | null | 'missing'> {
  try {
    const text = (await fs.readFile(file, 'utf8')).trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

function refusal(pid: number | null): LockResult {
  const who = pid === null ? 'another basewatch daemon' : `another basewatch daemon (pid ${pid})`;
  const stop = pid === null ? '' : ` or \`kill ${pid}\``;
  return {
    ok: false,
    pid,
    message: `${who} is already running for this user; stop it first (\`systemctl --user stop basewatch\`${stop}), or talk to it with \`basewatch status\``,
  };
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(() => true, () => false);
}

export async function acquireDaemonLock(
  paths: Pick<BasewatchPaths, 'runtime'>,
  probes: LockProbes = defaultProbes,
  pid: number = process.pid,
): Promise<LockResult> {
  const pidFile = pidFilePath(paths);
  const socketPath = controlSocketPath(paths);
  // The folder is what keeps other users off the socket: one another user owns, or may write to,
  // is refused; our own made laxer is made 0700 again.
  await ensurePrivateDir(paths.runtime);
  await checkPrivatePath(socketPath, 'socket');

  const self: ProcessIdentity = { pid, start: await probes.processStart(pid) };
  const taken = await tryTakeFileLock(path.join(paths.runtime, DAEMON_LOCK_NAME), { self, isRunning: (holder) => probes.isDaemonAlive(holder) });
  if (!taken.ok) return refusal(taken.holder?.pid ?? null);
  const cleaned: string[] = [];
  if (taken.tookOver !== null) cleaned.push(`${taken.tookOver.file} (pid ${taken.tookOver.holder?.pid ?? '?'} is gone)`);

  // We hold the lock. A socket still there is stale, unless a daemon that holds no lock (an older
  // basewatch, or someone deleted the folder) still answers on it.
  if (await exists(socketPath)) {
    const owner = await probes.socketOwner(socketPath);
    if (owner !== null && owner !== pid) {
      await taken.lock.release();
      return refusal(owner);
    }
    await fs.rm(socketPath, { force: true });
    cleaned.push(socketPath);
  }
  const previous = await readPid(pidFile);
  if (previous !== 'missing' && previous !== pid) cleaned.push(`${pidFile} (pid ${previous ?? '?'} is gone)`);
  await writeFileAtomic(pidFile, `${pid}\n`);

  let released = false;
  return {
    ok: true,
    cleaned,
    lock: {
      pidFile,
      socketPath,
      async release() {
        if (released) return;
        released = true;
        // The lock goes last: until then nobody else writes the pid file or a socket.
        await fs.rm(socketPath, { force: true });
        if ((await readPid(pidFile).catch(() => null)) === pid) await fs.rm(pidFile, { force: true });
        await taken.lock.release();
      },
    },
  };
}
