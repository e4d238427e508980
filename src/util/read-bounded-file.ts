/**
 * The one way basewatch reads a file it did not just write itself: a project's Dockerfile,
 * compose file, `.env` or `.dockerignore`, and its own settings, state, build links, history,
 * notification memory and caches. Watched folders hold other people's repositories and disks
 * have accidents, so a name can hold anything (issue 16):
 *
 * - only a regular file is read. A FIFO would block a read for ever, `/dev/zero` never ends, a
 *   socket or a folder is no text: each is refused with a reason before any read. The file is
 *   opened with O_NONBLOCK (an open of a FIFO that appears between the check and the open does not
 *   wait for a writer) and the open descriptor is checked again (fstat), so a swap in between is
 *   caught too. A symlink is followed, but only to a regular file;
 * - at most the limit of the file's kind is read (below), so a huge or endless file costs a
 *   bounded amount of memory and time, whatever its stat size says (/proc files say 0).
 *
 * Expected failures are values, never throws: the caller names the file and says what to do.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';

/** What a file is to basewatch: each kind has its own size limit. */
export type BoundedFileKind =
  | 'dockerfile'
  | 'compose'
  | 'dot-env'
  | 'dockerignore'
  | 'settings'
  | 'state'
  | 'build-links'
  | 'history'
  | 'notify-memory'
  | 'cache'
  /** A lock's holder record or a tag-move journal: a few hundred bytes when basewatch wrote it. */
  | 'lock';

const MiB = 1024 * 1024;

/**
 * Size limits per kind, each far above a real file of that kind (the largest Dockerfiles and
 * compose files in public repositories are a few hundred KiB; a state file holds one check report
 * and grows with the number of images, some 2 KiB each). A file over its limit is refused, not
 * read in part: half a Dockerfile would give a wrong base.
 */
export const FILE_SIZE_LIMITS: Readonly<Record<BoundedFileKind, number>> = {
  dockerfile: 4 * MiB,
  compose: 4 * MiB,
  'dot-env': 1 * MiB,
  dockerignore: 1 * MiB,
  settings: 1 * MiB,
  state: 64 * MiB,
  'build-links': 8 * MiB,
  history: 64 * MiB,
  'notify-memory': 8 * MiB,
  cache: 16 * MiB,
  lock: 1 * MiB,
};

export type BoundedReadProblem = 'missing' | 'not-regular' | 'too-large' | 'unreadable';

export type BoundedRead =
  | { readonly ok: true; readonly text: string }
  | {
      readonly ok: false;
      readonly problem: BoundedReadProblem;
      /** Why, in words that fit after the file's name: "is a FIFO (named pipe), not a regular file". */
      readonly message: string;
      /** The errno code for 'missing' and 'unreadable', when there is one. */
      readonly code: string | null;
    };

type BoundedFailure = Extract<BoundedRead, { ok: false }>;

/** What a stat says the thing is, for messages. */
export function describeFileType(stat: fs.Stats | fs.BigIntStats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notRegular(stat: fs.Stats | fs.BigIntStats, linked: boolean): BoundedFailure {
  const what = describeFileType(stat);
  return {
    ok: false,
    problem: 'not-regular',
    message: `${linked ? 'is a symbolic link to' : 'is'} ${what}, not a regular file; basewatch reads only regular files`,
    code: null,
  };
}

function tooLarge(kind: BoundedFileKind): BoundedFailure {
  const limit = FILE_SIZE_LIMITS[kind];
  return {
    ok: false,
    problem: 'too-large',
    message: `is larger than ${limit / MiB} MiB, the most basewatch reads of a ${kind.replace('-', ' ')} file`,
    code: null,
  };
}

function failed(error: unknown): BoundedFailure {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? null;
  if (code === 'ENOENT') return { ok: false, problem: 'missing', message: 'does not exist', code };
  const detail =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ELOOP'
        ? 'too many levels of symbolic links'
        : code === 'EISDIR'
          ? 'is a folder'
          : error instanceof Error
            ? error.message
            : String(error);
  return { ok: false, problem: 'unreadable', message: `cannot be read: ${detail}`, code };
}

// O_NONBLOCK: opening a FIFO for reading must not wait for a writer (it would, for ever).
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** Reads `file` (following symlinks to a regular file only), at most the limit of `kind`. */
export async function readBoundedFile(file: string, kind: BoundedFileKind, limit = FILE_SIZE_LIMITS[kind]): Promise<BoundedRead> {
  const read = await readBoundedFileBytes(file, kind, limit);
  return read.ok ? { ok: true, text: read.bytes.toString('utf8') } : read;
}

/**
 * What tells one version of a file from another without reading it: device, inode, size and
 * modification time (ns). Equal identities are taken for the same content (a cache's premise).
 */
export type FileIdentity = string;

export function fileIdentity(stat: fs.BigIntStats): FileIdentity {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}`;
}

export type IdentifiedRead = { readonly ok: true; readonly text: string; readonly identity: FileIdentity; readonly mtimeNs: bigint } | BoundedFailure;

/** {@link readBoundedFile}, with the identity of the file read (from the open descriptor, as read). */
export async function readBoundedFileIdentified(file: string, kind: BoundedFileKind, limit = FILE_SIZE_LIMITS[kind]): Promise<IdentifiedRead> {
  const read = await readBoundedFileBytes(file, kind, limit);
  return read.ok ? { ok: true, text: read.bytes.toString('utf8'), identity: fileIdentity(read.stat), mtimeNs: read.stat.mtimeNs } : read;
}

export type BoundedBytesRead = { readonly ok: true; readonly bytes: Buffer; /** The open descriptor's. */ readonly stat: fs.BigIntStats } | Extract<BoundedRead, { ok: false }>;

/** {@link readBoundedFile}, as bytes: for a caller that must keep every byte (`pin` rewrites a Dockerfile in place). */
export async function readBoundedFileBytes(file: string, kind: BoundedFileKind, limit = FILE_SIZE_LIMITS[kind]): Promise<BoundedBytesRead> {
  let handle: fsp.FileHandle;
  try {
    // stat before open: a device is never opened (opening some has side effects).
    const linkStat = await fsp.lstat(file);
    const stat = linkStat.isSymbolicLink() ? await fsp.stat(file) : linkStat;
    if (!stat.isFile()) return notRegular(stat, linkStat.isSymbolicLink());
    if (stat.size > limit) return tooLarge(kind);
    handle = await fsp.open(file, OPEN_FLAGS);
  } catch (error) {
    return failed(error);
  }
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) return notRegular(stat, false);
    // One byte more than the limit tells an oversized file from one exactly at it.
    const buffer = Buffer.alloc(Math.min(limit + 1, Math.max(Number(stat.size) + 1, 64 * 1024)));
    let chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const room = limit + 1 - total;
      if (room <= 0) return tooLarge(kind);
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, room), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
      total += bytesRead;
    }
    if (total > limit) return tooLarge(kind);
    const bytes = Buffer.concat(chunks, total);
    chunks = [];
    return { ok: true, bytes, stat };
  } catch (error) {
    return failed(error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** {@link readBoundedFile}, synchronously: for the settings, read where no await is possible. */
export function readBoundedFileSync(file: string, kind: BoundedFileKind, limit = FILE_SIZE_LIMITS[kind]): BoundedRead {
  let fd: number;
  try {
    const linkStat = fs.lstatSync(file);
    const stat = linkStat.isSymbolicLink() ? fs.statSync(file) : linkStat;
    if (!stat.isFile()) return notRegular(stat, linkStat.isSymbolicLink());
    if (stat.size > limit) return tooLarge(kind);
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (error) {
    return failed(error);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return notRegular(stat, false);
    const buffer = Buffer.alloc(Math.min(limit + 1, Math.max(stat.size + 1, 64 * 1024)));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const room = limit + 1 - total;
      if (room <= 0) return tooLarge(kind);
      const bytesRead = fs.readSync(fd, buffer, 0, Math.min(buffer.length, room), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
      total += bytesRead;
    }
    if (total > limit) return tooLarge(kind);
    return { ok: true, text: Buffer.concat(chunks, total).toString('utf8') };
  } catch (error) {
    return failed(error);
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // Closing a descriptor we opened cannot fail in a way that matters here.
    }
  }
}

/**
 * A file an operation cannot do without could not be read (a FIFO named .dockerignore, a huge
 * Dockerfile): an expected failure of that operation, with a message that names the file.
 */
export class UnreadableFileError extends Error {
  override readonly name = 'UnreadableFileError';

  constructor(
    readonly file: string,
    readonly problem: BoundedReadProblem,
    reason: string,
  ) {
    super(`${file} ${reason}`);
  }
}

/** The text of a file an operation needs, or an {@link UnreadableFileError} naming it. */
export async function readBoundedFileOrThrow(file: string, kind: BoundedFileKind): Promise<string> {
  const read = await readBoundedFile(file, kind);
  if (!read.ok) throw new UnreadableFileError(file, read.problem, read.message);
  return read.text;
}

/**
 * Moves one of basewatch's own files that cannot be used (wrong type, oversized, garbage) aside
 * to `<name>.corrupt-<time>`, so the next run starts afresh and the user can still look at it.
 * Returns where it went, or null when even the rename failed (the caller warns either way).
 */
export async function setFileAside(file: string, now: Date = new Date()): Promise<string | null> {
  const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    await fsp.rename(file, aside);
    return aside;
  } catch {
    return null;
  }
}

/**
 * Notices of own files set aside by readers that return no warning of their own (history,
 * notification memory, caches): the CLI prints them as warnings when its command ends, the daemon
 * logs them after each cycle. Process-wide, as the files are.
 */
const setAsideNotices: string[] = [];

/** Sets `file` aside as setFileAside does and leaves a notice naming it, what was wrong and where it went. */
export async function setFileAsideWithNotice(file: string, what: string, problem: string): Promise<void> {
  const aside = await setFileAside(file);
  setAsideNotices.push(`${what} ${file} ${problem}; ${aside === null ? 'could not move it aside: remove it' : `moved it to ${aside}`}`);
}

/** The notices left since the last call, once each. */
export function takeSetAsideNotices(): string[] {
  return setAsideNotices.splice(0, setAsideNotices.length);
}
