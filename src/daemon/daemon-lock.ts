/**
 * One daemon per user: a pid file created atomically (link(2) of a complete temp file, which
 * fails when the pid file exists) plus the control socket. A pid file or socket left by a daemon
 * that died (SIGKILL, power loss) is recognised as stale and removed; a live one is never touched.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { BasewatchPaths } from '../paths.js';
import { readDaemonStatus } from './control-client.js';
import { controlSocketPath, pidFilePath } from './control-protocol.js';

export interface DaemonLock {
  readonly pidFile: string;
  readonly socketPath: string;
  /** Removes the socket and the pid file (if it is still ours). */
  release(): Promise<void>;
}

export type LockResult =
  | { readonly ok: true; readonly lock: DaemonLock; readonly cleaned: readonly string[] }
  | { readonly ok: false; readonly pid: number | null; readonly message: string };

export interface LockProbes {
  /** Whether a process with this pid exists (and could be a basewatch daemon). */
  isDaemonAlive(pid: number): Promise<boolean>;
  /** The pid a daemon listening on this socket reports, or null when nobody answers. */
  socketOwner(socketPath: string): Promise<number | null>;
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A live pid that is not a basewatch process is a reused pid (after a reboot with BASEWATCH_HOME
 * on a disk, or pid 1 in a container). Where /proc is not there to ask, assume it is ours.
 */
async function isBasewatchProcess(pid: number): Promise<boolean> {
  if (pid === process.pid || !processExists(pid)) return false;
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('basewatch');
  } catch {
    return true;
  }
}

export const defaultProbes: LockProbes = {
  isDaemonAlive: isBasewatchProcess,
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
  await fs.mkdir(paths.runtime, { recursive: true, mode: 0o700 });
  // The folder is what keeps other users off the socket; an existing one may have been made laxer.
  await fs.chmod(paths.runtime, 0o700);
  const cleaned: string[] = [];

  for (let attempt = 0; attempt < 3; attempt++) {
    const temp = `${pidFile}.${pid}.tmp`;
    await fs.writeFile(temp, `${pid}\n`, { mode: 0o600 });
    let linked = false;
    try {
      await fs.link(temp, pidFile);
      linked = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await fs.rm(temp, { force: true });
    }

    if (linked) {
      // We hold the pid file. A socket still there is stale, unless a daemon without a pid file
      // (someone deleted it) still answers on it.
      if (await exists(socketPath)) {
        const owner = await probes.socketOwner(socketPath);
        if (owner !== null && owner !== pid) {
          await fs.rm(pidFile, { force: true });
          return refusal(owner);
        }
        await fs.rm(socketPath, { force: true });
        cleaned.push(socketPath);
      }
      return { ok: true, lock: makeLock(pidFile, socketPath, pid), cleaned };
    }

    const holder = await readPid(pidFile);
    if (holder === 'missing') continue; // it went away between link and read: try again
    const owner = await probes.socketOwner(socketPath);
    if (owner !== null) return refusal(owner);
    if (holder !== null && (await probes.isDaemonAlive(holder))) return refusal(holder);
    // Stale: remove it only if it still names the dead pid (a new daemon may have just won).
    if ((await readPid(pidFile)) === holder) {
      await fs.rm(pidFile, { force: true });
      cleaned.push(`${pidFile} (pid ${holder ?? '?'} is gone)`);
    }
    if (await exists(socketPath)) {
      await fs.rm(socketPath, { force: true });
      cleaned.push(socketPath);
    }
  }
  return refusal(null);
}

function makeLock(pidFile: string, socketPath: string, pid: number): DaemonLock {
  let released = false;
  return {
    pidFile,
    socketPath,
    async release() {
      if (released) return;
      released = true;
      await fs.rm(socketPath, { force: true });
      if ((await readPid(pidFile).catch(() => null)) === pid) await fs.rm(pidFile, { force: true });
    },
  };
}
