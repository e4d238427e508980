/**
 * Pins in files: read a Dockerfile, pin it, write it back atomically when something changed.
 * What the `pin` command and the daemon's `pin` policy call. Never touches git.
 */
import fs from 'node:fs/promises';
import { readBoundedFileBytes } from '../../util/read-bounded-file.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { PinRecord } from '../tag-moves/history.js';
import { type PinChange, type PinProblem, type PinResolver, pinDockerfile } from './pin-dockerfile.js';

export interface FilePinResult {
  /** The file as given. */
  readonly file: string;
  /** Pins written (or, with dryRun, that would be). */
  readonly changes: PinChange[];
  /** Images that could not be pinned, and why; a file that cannot be read or written is one problem on line 0. */
  readonly problems: PinProblem[];
  /** Images left alone on purpose. */
  readonly skipped: PinProblem[];
  /** True when the file on disk was rewritten. */
  readonly written: boolean;
}

/** Looks tags up with HEAD: the manifest (or index) digest, which is what `docker pull` records. */
export function registryPinResolver(client: RegistryClient): PinResolver {
  return async (ref) => {
    const head = await client.headManifest(ref);
    return head.ok ? { ok: true, digest: head.digest } : { ok: false, message: head.message };
  };
}

function fsMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Pins `file` in place (see pinDockerfile). The write goes to the real file behind a symlink,
 * keeps the file's mode, and is atomic. A file that is not valid UTF-8 is refused rather than
 * re-encoded, since pinning must not change any other byte.
 */
export async function updatePins(file: string, resolve: PinResolver, options: { dryRun?: boolean; onlyPinned?: boolean } = {}): Promise<FilePinResult> {
  const failed = (message: string): FilePinResult => ({ file, changes: [], problems: [{ line: 0, message, kind: 'file' }], skipped: [], written: false });
  let real: string;
  let bytes: Buffer;
  let mode: number;
  try {
    real = await fs.realpath(file);
    mode = (await fs.stat(real)).mode & 0o7777;
  } catch (error) {
    return failed(`cannot read ${file}: ${fsMessage(error)}`);
  }
  // Bounded, regular files only: a FIFO or a link to /dev/zero named Dockerfile is refused by name.
  const read = await readBoundedFileBytes(real, 'dockerfile');
  if (!read.ok) return failed(`cannot read ${file}: it ${read.message}`);
  bytes = read.bytes;
  const content = bytes.toString('utf8');
  if (!Buffer.from(content, 'utf8').equals(bytes)) return failed(`${file} is not valid UTF-8; basewatch does not rewrite it`);
  const result = await pinDockerfile(content, resolve, { onlyPinned: options.onlyPinned ?? false });
  const base = { file, changes: result.changes, problems: result.problems, skipped: result.skipped };
  if (result.changes.length === 0 || options.dryRun === true) return { ...base, written: false };
  // The lookups took time: an editor may have saved the file meanwhile. Never overwrite that.
  const again = await readBoundedFileBytes(real, 'dockerfile');
  const now = again.ok ? again.bytes : null;
  if (now === null || !now.equals(bytes)) {
    return { ...base, changes: [], problems: [...result.problems, { line: 0, message: `${file} changed while basewatch was pinning it; left as it is`, kind: 'file' }], written: false };
  }
  try {
    await writeFileAtomic(real, result.content, mode, { userFolder: true });
  } catch (error) {
    return { ...base, changes: [], problems: [...result.problems, { line: 0, message: `cannot write ${file}: ${fsMessage(error)}`, kind: 'file' }], written: false };
  }
  return { ...base, written: true };
}

/** A written file's pins as a history line; null when nothing was written. */
export function pinRecordOf(result: FilePinResult, at: Date): PinRecord | null {
  if (!result.written || result.changes.length === 0) return null;
  return {
    kind: 'pin',
    file: result.file,
    at: at.toISOString(),
    changes: result.changes.map((change) => ({ line: change.line, image: change.image, from: change.from, to: change.to, previous: change.previous })),
  };
}
