/**
 * The seam check: may the app layers of an image be moved onto a different base? A rebase
 * swaps the base layers under the app layers, so it is only safe when the app layers do not
 * depend on the old base's exact files: they must not record a package install (the package
 * database would describe the old base), delete or hide base paths, or replace base files
 * (a rebuilt image would get the new base's copy; a rebased one would keep the old copy).
 *
 * Pure: layer scans in, findings out. Paths in findings are absolute ("/etc/motd"), as users
 * see them in the container.
 */
import type { LayerEntry, LayerScan } from '../../archive/layer-scan.js';
import { MergedTree, type FsNode, mergeLayers, normaliseLinkTarget } from './seam-tree.js';

export type SeamFindingKind =
  | 'package-db'
  | 'whiteout'
  | 'opaque'
  | 'overwrite'
  | 'type-change'
  | 'hardlink'
  /** Stands for the findings left off once the list reached its cap. */
  | 'more';

export interface SeamFinding {
  /** 1-based over the whole image, as `docker history` users count (bottom layer is 1). */
  readonly layer: number;
  readonly diffId: string;
  /** Absolute path in the container, after following symlinked folders of the base. */
  readonly path: string;
  readonly kind: SeamFindingKind;
  readonly message: string;
}

export interface SeamCheckInput {
  /** The old base's layers, bottom first. */
  readonly baseLayers: readonly LayerScan[];
  /** The image's layers above the old base, bottom first. */
  readonly appLayers: readonly LayerScan[];
  /** Index (0-based) of the first app layer in the whole image; usually baseLayers.length. */
  readonly appLayerOffset: number;
  /** Findings kept before the rest are summed up in one "… and N more" finding. Default 20. */
  readonly maxFindings?: number;
}

export interface SeamCheckResult {
  /** True when there are no findings: the app layers can sit on any base. */
  readonly safe: boolean;
  /** Every reason to refuse, ordered by layer then path, capped at maxFindings (+1 "more"). */
  readonly findings: readonly SeamFinding[];
  /** Things worth saying that do not block the rebase. */
  readonly notes: readonly string[];
}

export const DEFAULT_MAX_FINDINGS = 20;

/** Files a package manager rewrites on every install or removal. */
const PACKAGE_DB_FILES = new Set([
  'var/lib/dpkg/status',
  'lib/apk/db/installed',
  'lib/apk/db/scripts.tar',
  'lib/apk/db/triggers',
]);
/** Folders whose every file belongs to a package database. */
const PACKAGE_DB_DIRS = ['var/lib/dpkg/info', 'var/lib/dpkg/status.d', 'var/lib/rpm', 'usr/lib/sysimage/rpm'];

export function isPackageDbPath(path: string): boolean {
  return PACKAGE_DB_FILES.has(path) || PACKAGE_DB_DIRS.some((dir) => path === dir || path.startsWith(`${dir}/`));
}

/** Where shared libraries live; new files there may be built against the old base's libraries. */
const LIBRARY_DIRS = ['lib', 'lib64', 'usr/lib', 'usr/lib64'];

function describe(node: FsNode): string {
  switch (node.type) {
    case 'dir':
      return 'a folder';
    case 'symlink':
      return 'a symlink';
    case 'hardlink':
      return 'a hard link';
    case 'file':
      return 'a file';
    case 'other':
      return 'a special file';
  }
}

function describeEntry(entry: LayerEntry): string {
  return entry.type === 'dir' ? 'a folder' : entry.type === 'symlink' ? 'a symlink' : 'a file';
}

type Classified = { kind: Exclude<SeamFindingKind, 'more'>; message: string; path?: string } | null;

/**
 * Decides what one app-layer entry means for the rebase. `shown` is the absolute resolved path
 * and, when a symlinked base folder moved it, how the layer spelled it.
 */
function classify(
  entry: LayerEntry,
  resolved: string,
  base: MergedTree,
  writtenInLayer: ReadonlySet<string>,
  view: MergedTree,
): Classified {
  const shown = resolved === entry.path ? `/${resolved}` : `/${resolved} (written as /${entry.path})`;
  const baseNode = base.lookup(resolved);

  // A folder entry carries no package data; the files below it (or their whiteouts) do.
  if (entry.type !== 'dir' || entry.whiteout !== null) {
    // Named as matched: on a usrmerge base "lib/apk/db/installed" lands in /usr/lib, but users
    // know the database by its usual path.
    const dbPath = isPackageDbPath(resolved) ? resolved : isPackageDbPath(entry.path) ? entry.path : null;
    if (dbPath !== null) {
      const path = `/${dbPath}`;
      if (entry.whiteout === 'whiteout') return { kind: 'package-db', path, message: `deletes ${path} (a package removal)` };
      if (entry.whiteout === 'opaque') return { kind: 'package-db', path, message: `hides the contents of ${path} (a package database)` };
      return { kind: 'package-db', path, message: `writes ${path} (a package install)` };
    }
  }

  if (entry.whiteout === 'whiteout') {
    return baseNode === undefined ? null : { kind: 'whiteout', message: `deletes ${shown}, ${describe(baseNode)} of the base` };
  }
  if (entry.whiteout === 'opaque') {
    // An opaque marker on a folder the base does not have only hides the app's own files.
    return baseNode?.type === 'dir'
      ? { kind: 'opaque', message: `hides the contents of ${shown}, a folder of the base` }
      : null;
  }

  if (baseNode !== undefined) {
    const baseIsDir = baseNode.type === 'dir';
    const entryIsDir = entry.type === 'dir';
    if (baseIsDir && entryIsDir) return null; // adding files into a base folder is what COPY does
    if (baseIsDir !== entryIsDir) {
      return {
        kind: 'type-change',
        message: `replaces ${shown}, ${describe(baseNode)} of the base, with ${describeEntry(entry)}`,
      };
    }
    return { kind: 'overwrite', message: `overwrites ${shown} from the base` };
  }

  if (entry.type === 'hardlink' && entry.linkname !== null) {
    // A hard link's bytes are its target's: one to a base file the layer did not write itself
    // copies the old base's file into the app.
    const target = view.resolve(normaliseLinkTarget(entry.linkname));
    const targetNode = base.lookup(target);
    if (!writtenInLayer.has(target) && targetNode !== undefined && targetNode.type !== 'dir') {
      return { kind: 'hardlink', message: `hard-links ${shown} to /${target} of the base` };
    }
  }
  return null;
}

function compareFindings(a: SeamFinding, b: SeamFinding): number {
  if (a.layer !== b.layer) return a.layer - b.layer;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function capFindings(findings: SeamFinding[], max: number): SeamFinding[] {
  if (findings.length <= max) return findings;
  const kept = findings.slice(0, max);
  const firstLeftOff = findings[max];
  if (firstLeftOff === undefined) return kept;
  kept.push({
    layer: firstLeftOff.layer,
    diffId: firstLeftOff.diffId,
    path: '',
    kind: 'more',
    message: `… and ${findings.length - max} more`,
  });
  return kept;
}

/**
 * Checks whether the app layers can be moved onto another base. Symlinked folders (the
 * usrmerge `bin -> usr/bin`, `lib -> usr/lib`, or any other symlinked folder the base or an
 * earlier app layer made) are followed when deciding where an entry lands, so `bin/sh` in an
 * app layer is compared with the base's `usr/bin/sh`.
 */
export function checkSeam(input: SeamCheckInput): SeamCheckResult {
  const { baseLayers, appLayers, appLayerOffset } = input;
  const maxFindings = input.maxFindings ?? DEFAULT_MAX_FINDINGS;
  if (!Number.isInteger(appLayerOffset) || appLayerOffset < 0) {
    throw new RangeError(`checkSeam: appLayerOffset must be a non-negative integer, got ${appLayerOffset}`);
  }
  if (!Number.isInteger(maxFindings) || maxFindings < 1) {
    throw new RangeError(`checkSeam: maxFindings must be a positive integer, got ${maxFindings}`);
  }

  const base = mergeLayers(baseLayers);
  // The app layers are applied to a copy so that symlinks they create (or base symlinks they
  // replace) steer where their later entries land, while `base` stays the old base's view.
  const view = base.clone();
  const byKey = new Map<string, SeamFinding>();
  const newLibraryFiles = new Map<string, number>();

  appLayers.forEach((layer, index) => {
    const layerNumber = appLayerOffset + index + 1;
    const writtenInLayer = new Set<string>();
    view.applyLayer(layer, (entry, resolved) => {
      const found = classify(entry, resolved, base, writtenInLayer, view);
      if (entry.whiteout === null) writtenInLayer.add(resolved);
      if (found !== null) {
        const path = found.path ?? `/${resolved}`;
        const key = `${layerNumber}\0${path}`;
        // One finding per path and layer; a package-database reason outranks the others.
        const existing = byKey.get(key);
        if (existing === undefined || (found.kind === 'package-db' && existing.kind !== 'package-db')) {
          byKey.set(key, {
            layer: layerNumber,
            diffId: layer.diffId,
            path,
            kind: found.kind,
            message: `layer ${layerNumber} ${found.message}: rebuild instead`,
          });
        }
        return;
      }
      if (entry.whiteout === null && entry.type !== 'dir' && base.lookup(resolved) === undefined) {
        const libraryDir = LIBRARY_DIRS.find((dir) => resolved.startsWith(`${dir}/`));
        if (libraryDir !== undefined) newLibraryFiles.set(libraryDir, (newLibraryFiles.get(libraryDir) ?? 0) + 1);
      }
    });
  });

  const findings = capFindings([...byKey.values()].sort(compareFindings), maxFindings);
  const notes = [...newLibraryFiles.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([dir, count]) =>
        `the app layers add ${count} ${count === 1 ? 'file' : 'files'} under /${dir} that may link against base libraries`,
    );
  return { safe: findings.length === 0, findings, notes };
}
