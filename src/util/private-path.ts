/**
 * basewatch's own folders (settings, state, cache, runtime, logs), its files and its control
 * socket belong to the user who runs it and to nobody else: folders are made 0700, files 0600.
 * One that another user owns, or that others may write to, is refused rather than used: another
 * user could otherwise plant a state file, read a webhook secret or answer in place of the daemon.
 * Every place that makes or opens one of them calls in here.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';

/** A folder, file or socket of basewatch's that it will not use; the message names it and what to do. */
export class PrivatePathError extends Error {
  override readonly name = 'PrivatePathError';
  readonly path: string;

  constructor(file: string, message: string) {
    super(message);
    this.path = file;
  }
}

export type PrivateKind = 'folder' | 'file' | 'socket';

const uid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

/**
 * Why `stats` (of `file`, meant to be a `kind` of basewatch's own) must not be used, or null.
 * Pure, for tests: `me` is the user's uid (null where uids do not exist, as on Windows).
 */
export function privateProblem(file: string, kind: PrivateKind, stats: Pick<fs.Stats, 'uid' | 'mode'> & { isDirectory(): boolean; isFile(): boolean; isSocket(): boolean; isSymbolicLink(): boolean }, me: number | null): string | null {
  if (me === null) return null;
  const what = kind === 'folder' ? 'folder' : kind === 'socket' ? 'control socket' : 'file';
  // A plain file where the socket goes is what a killed daemon's leftover can look like to a
  // test, and nothing answers on it: only a link or a folder there is refused for its kind.
  const isKind = kind === 'folder' ? stats.isDirectory() : kind === 'socket' ? stats.isSocket() || stats.isFile() : stats.isFile();
  if (stats.isSymbolicLink() || !isKind) {
    return `basewatch's ${what} ${file} is not a ${kind === 'socket' ? 'socket' : kind}${stats.isSymbolicLink() ? ' (a symbolic link)' : ''}: remove it (basewatch makes it again), or set BASEWATCH_HOME to a folder of your own`;
  }
  if (stats.uid !== me) {
    return `basewatch's ${what} ${file} belongs to another user (uid ${stats.uid}, you are uid ${me}): basewatch does not use it; remove it (basewatch makes it again), or set BASEWATCH_HOME to a folder of your own`;
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(3, '0');
    const fix = kind === 'folder' ? 'chmod 700' : 'chmod 600';
    return `basewatch's ${what} ${file} may be written by other users (mode ${mode}): basewatch does not use it; \`${fix} ${file}\` once nothing in it is someone else's, or remove it`;
  }
  return null;
}

/** A folder may be reached through a symbolic link (dotfiles kept elsewhere): its target is judged. A socket or file is judged itself. */
const look = (kind: PrivateKind) => (kind === 'folder' ? fs.statSync : fs.lstatSync);
const lookAsync = (kind: PrivateKind) => (kind === 'folder' ? fsp.stat : fsp.lstat);

function refuse(file: string, kind: PrivateKind, stats: fs.Stats): void {
  const problem = privateProblem(file, kind, stats, uid());
  if (problem !== null) throw new PrivatePathError(file, problem);
}

/** Throws PrivatePathError when `file` exists and is not the user's own `kind`; a missing one is fine. */
export function checkPrivatePathSync(file: string, kind: PrivateKind): void {
  let stats: fs.Stats;
  try {
    stats = look(kind)(file);
  } catch {
    return;
  }
  refuse(file, kind, stats);
}

export async function checkPrivatePath(file: string, kind: PrivateKind): Promise<void> {
  let stats: fs.Stats;
  try {
    stats = await lookAsync(kind)(file);
  } catch {
    return;
  }
  refuse(file, kind, stats);
}

/**
 * Makes `dir` (and missing parents) 0700 when missing; then refuses it unless it is the user's
 * own and nobody else may write to it. Our own folder that others may read (an older basewatch
 * made it 0755) is made 0700.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const stats = await fsp.stat(dir);
  refuse(dir, 'folder', stats);
  if (uid() !== null && (stats.mode & 0o077) !== 0) await fsp.chmod(dir, 0o700);
}

export function ensurePrivateDirSync(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = fs.statSync(dir);
  refuse(dir, 'folder', stats);
  if (uid() !== null && (stats.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}

/** Refuses any of basewatch's own folders that exists and is not the user's own (see privateProblem); missing ones are fine. */
export function checkOwnFolders(folders: readonly string[]): void {
  for (const folder of folders) checkPrivatePathSync(folder, 'folder');
}
