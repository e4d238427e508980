/**
 * What reading one layer tar tells us, without extracting anything to the host: its diff_id
 * (sha256 of the uncompressed tar), every entry's path and type, and the bytes of a few small
 * files we asked for (package databases). Shared by the archive reader (which produces it) and
 * the seam check / package diff (which consume it).
 */

export type LayerEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface LayerEntry {
  /** Normalised: no leading "./" or "/", no trailing "/", e.g. "var/lib/dpkg/status". */
  readonly path: string;
  readonly type: LayerEntryType;
  readonly mode: number;
  readonly size: number;
  /** Symlink or hardlink target as stored in the tar. */
  readonly linkname: string | null;
  /**
   * "whiteout": a `.wh.<name>` entry deleting `<dir>/<name>` (path is the deleted path);
   * "opaque": a `.wh..wh..opq` entry hiding everything below its folder (path is the folder).
   */
  readonly whiteout: 'whiteout' | 'opaque' | null;
}

export interface LayerScan {
  readonly diffId: string;
  /** Bytes of the uncompressed layer tar. */
  readonly size: number;
  readonly entries: readonly LayerEntry[];
  /** Contents of captured files (see {@link captureFile}), by normalised path. */
  readonly captured: ReadonlyMap<string, Buffer>;
}

/** Paths whose contents are captured while scanning: package databases, for "what changed". */
export function captureFile(path: string): boolean {
  return (
    path === 'var/lib/dpkg/status' ||
    (path.startsWith('var/lib/dpkg/status.d/') && !path.slice('var/lib/dpkg/status.d/'.length).includes('/')) ||
    path === 'lib/apk/db/installed' ||
    path === 'etc/os-release' ||
    path === 'usr/lib/os-release'
  );
}

/** Captured files larger than this are not kept (a package database is far smaller). */
export const MAX_CAPTURED_BYTES = 32 * 1024 * 1024;
