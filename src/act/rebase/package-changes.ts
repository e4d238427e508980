/** What changed in the base's packages, from the old base's layers and the new base's package database files. Pure. */
import type { LayerScan } from '../../archive/layer-scan.js';
import { packagesFromLayers } from '../package-diff/package-db.js';
import { diffPackages, summarizePackageDiff } from '../package-diff/package-diff.js';
import type { PackageChanges } from './rebase-types.js';

/** Where a package database can sit in a base; read from the pulled new base through the engine. */
export const PACKAGE_DB_PATHS = ['/var/lib/dpkg/status', '/var/lib/dpkg/status.d', '/lib/apk/db/installed'];

/** The package database files of an image, as one synthetic layer for packagesFromLayers. */
function filesAsLayer(files: Map<string, Buffer>): LayerScan {
  return {
    diffId: 'engine-files',
    size: 0,
    entries: [...files].map(([p, bytes]) => ({ path: p, type: 'file' as const, mode: 0o644, size: bytes.length, linkname: null, whiteout: null })),
    captured: files,
  };
}

/** Null when the new base's files are not known (it is not local yet). */
export function packageChanges(oldLayers: readonly LayerScan[], newFiles: Map<string, Buffer> | null): PackageChanges | null {
  if (newFiles === null) return null;
  return changesOf(packagesFromLayers(oldLayers), packagesFromLayers([filesAsLayer(newFiles)]));
}

/** What changed between two images' package database files (a rebuild's old and new image). */
export function packageChangesBetween(oldFiles: Map<string, Buffer>, newFiles: Map<string, Buffer>): PackageChanges {
  return changesOf(packagesFromLayers([filesAsLayer(oldFiles)]), packagesFromLayers([filesAsLayer(newFiles)]));
}

function changesOf(before: ReturnType<typeof packagesFromLayers>, after: ReturnType<typeof packagesFromLayers>): PackageChanges {
  const diff = diffPackages(before, after);
  return {
    summary: summarizePackageDiff(diff, { limit: 1 }),
    upgraded: diff.upgraded.map((c) => ({ name: c.name, from: c.from, to: c.to })),
    downgraded: diff.downgraded.map((c) => ({ name: c.name, from: c.from, to: c.to })),
    added: diff.added.map((p) => p.name),
    removed: diff.removed.map((p) => p.name),
  };
}
