/**
 * Which packages a stack of layers has installed, read from the package databases the layer
 * scan captured: dpkg's `var/lib/dpkg/status`, distroless' `var/lib/dpkg/status.d/<name>` and
 * apk's `lib/apk/db/installed`. Pure: layer scans in, package sets out.
 */
import type { LayerScan } from '../../archive/layer-scan.js';
import type { VersionScheme } from './package-version.js';

export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  /** dpkg `Architecture` / apk `A:`; null when the database does not say. */
  readonly arch: string | null;
  /** Source package (dpkg `Source`, apk origin `o:`); the package's own name when not given. */
  readonly source: string;
  /** The source's version: dpkg `Source: name (version)` for binNMUs, else the package's version. */
  readonly sourceVersion: string;
  /** Which database it came from, hence how its versions are ordered. */
  readonly format: VersionScheme;
}

export type PackageDbFormat = VersionScheme | 'none' | 'mixed';

export interface PackageSet {
  /** 'none': no package database at all (scratch, static images); 'mixed': dpkg and apk both. */
  readonly format: PackageDbFormat;
  /**
   * By package name; when one name is installed for several architectures (dpkg multiarch),
   * each copy is keyed "name:arch".
   */
  readonly packages: ReadonlyMap<string, InstalledPackage>;
  /** Database files the layers hold whose contents were not captured (too large): packages may be missing. */
  readonly uncaptured: readonly string[];
}

const DPKG_STATUS = 'var/lib/dpkg/status';
const DPKG_STATUS_D = 'var/lib/dpkg/status.d/';
const APK_INSTALLED = 'lib/apk/db/installed';

/**
 * RFC 822-style stanzas as dpkg writes them: "Field: value" lines, continuation lines starting
 * with a space or tab, stanzas separated by blank lines. Field names are case-insensitive and
 * returned lower-cased.
 */
export function parseControlStanzas(text: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let lastField: string | null = null;
  const finish = (): void => {
    if (current.size > 0) stanzas.push(current);
    current = new Map();
    lastField = null;
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      finish();
    } else if (line.startsWith(' ') || line.startsWith('\t')) {
      if (lastField !== null) current.set(lastField, `${current.get(lastField) ?? ''}\n${line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      // A line that is neither a field nor a continuation (e.g. an md5sums line) is not ours.
      if (colon <= 0) continue;
      lastField = line.slice(0, colon).trim().toLowerCase();
      current.set(lastField, line.slice(colon + 1).trim());
    }
  }
  finish();
  return stanzas;
}

export interface ParseDpkgOptions {
  /**
   * Distroless `status.d` files carry no Status field: everything in them is installed.
   * With false (the `status` file), a stanza without Status is not counted.
   */
  readonly installedWithoutStatus: boolean;
}

/**
 * Installed packages of a dpkg status file. A package counts when the third word of its Status
 * is "installed" ("install ok installed", but also "hold ok installed"): "config-files",
 * "half-installed", "unpacked" and the like left no usable package behind.
 */
export function parseDpkgStatus(text: string, options: ParseDpkgOptions): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const stanza of parseControlStanzas(text)) {
    const name = stanza.get('package');
    const version = stanza.get('version');
    if (name === undefined || name === '' || version === undefined || version === '') continue;
    const status = stanza.get('status');
    const installed =
      status === undefined ? options.installedWithoutStatus : status.split(/\s+/)[2] === 'installed';
    if (!installed) continue;
    const sourceField = /^(\S+)(?:\s*\(\s*([^)\s]+)\s*\))?/.exec(stanza.get('source') ?? '');
    packages.push({
      name,
      version,
      arch: stanza.get('architecture') || null,
      source: sourceField?.[1] ?? name,
      sourceVersion: sourceField?.[2] ?? version,
      format: 'dpkg',
    });
  }
  return packages;
}

/** Packages of an apk `installed` database: blank-line separated records of "K:value" lines. */
export function parseApkInstalled(text: string): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const record of text.split(/\r?\n[ \t]*\r?\n/)) {
    const fields = new Map<string, string>();
    for (const line of record.split(/\r?\n/)) {
      // Keys are one character; later lines of a multi-valued key (R:, F:) do not concern us.
      if (line.length >= 2 && line[1] === ':' && line[0] !== undefined && !fields.has(line[0])) {
        fields.set(line[0], line.slice(2).trim());
      }
    }
    const name = fields.get('P');
    const version = fields.get('V');
    if (name === undefined || name === '' || version === undefined || version === '') continue;
    packages.push({
      name,
      version,
      arch: fields.get('A') || null,
      source: fields.get('o') || name,
      sourceVersion: version,
      format: 'apk',
    });
  }
  return packages;
}

function isDatabaseFile(path: string): boolean {
  return (
    path === DPKG_STATUS ||
    path === APK_INSTALLED ||
    (path.startsWith(DPKG_STATUS_D) && path.length > DPKG_STATUS_D.length && !path.slice(DPKG_STATUS_D.length).includes('/'))
  );
}

/**
 * The database files the merged layers end up with: the highest layer holding a file wins,
 * whiteouts (of the file or a folder above it) and opaque folders remove lower copies.
 * null stands for a file present but not captured.
 */
function databaseFiles(layers: readonly LayerScan[]): Map<string, Buffer | null> {
  const files = new Map<string, Buffer | null>();
  const removeBelow = (folder: string, includingItself: boolean): void => {
    for (const path of [...files.keys()]) {
      if ((includingItself && path === folder) || path.startsWith(`${folder}/`) || folder === '') files.delete(path);
    }
  };
  for (const layer of layers) {
    // Whiteouts hide lower layers only, so they go before this layer's own files.
    for (const entry of layer.entries) {
      if (entry.whiteout !== null) removeBelow(entry.path, entry.whiteout === 'whiteout');
    }
    for (const entry of layer.entries) {
      if (entry.whiteout !== null) continue;
      if (isDatabaseFile(entry.path)) {
        if (entry.type === 'file' || entry.type === 'hardlink') files.set(entry.path, layer.captured.get(entry.path) ?? null);
        else files.delete(entry.path);
      } else if (entry.type !== 'dir') {
        // A file or symlink replacing a folder (say var/lib/dpkg) takes what was below it.
        removeBelow(entry.path, false);
      }
    }
  }
  return files;
}

function keyByName(packages: readonly InstalledPackage[]): Map<string, InstalledPackage> {
  const archCount = new Map<string, Set<string | null>>();
  for (const pkg of packages) {
    const arches = archCount.get(pkg.name) ?? new Set<string | null>();
    arches.add(pkg.arch);
    archCount.set(pkg.name, arches);
  }
  const byKey = new Map<string, InstalledPackage>();
  for (const pkg of packages) {
    const multiArch = (archCount.get(pkg.name)?.size ?? 0) > 1;
    byKey.set(multiArch ? `${pkg.name}:${pkg.arch ?? 'unknown'}` : pkg.name, pkg);
  }
  return byKey;
}

/** The packages installed in the filesystem these layers (bottom first) make up. */
export function packagesFromLayers(layers: readonly LayerScan[]): PackageSet {
  const files = databaseFiles(layers);
  const packages: InstalledPackage[] = [];
  const uncaptured: string[] = [];
  let dpkg = false;
  let apk = false;
  // status first, then status.d by name, so the result does not depend on tar order.
  const paths = [...files.keys()].sort((a, b) => (a === DPKG_STATUS ? -1 : b === DPKG_STATUS ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const path of paths) {
    // Newer distroless images keep "<name>.md5sums" next to each status.d stanza file.
    if (path.startsWith(DPKG_STATUS_D) && path.endsWith('.md5sums')) continue;
    const bytes = files.get(path);
    if (path === APK_INSTALLED) apk = true;
    else dpkg = true;
    if (bytes === undefined || bytes === null) {
      uncaptured.push(path);
      continue;
    }
    const text = bytes.toString('utf8');
    if (path === APK_INSTALLED) packages.push(...parseApkInstalled(text));
    else packages.push(...parseDpkgStatus(text, { installedWithoutStatus: path !== DPKG_STATUS }));
  }
  const format: PackageDbFormat = dpkg && apk ? 'mixed' : dpkg ? 'dpkg' : apk ? 'apk' : 'none';
  return { format, packages: keyByName(packages), uncaptured };
}
