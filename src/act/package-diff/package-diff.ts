/**
 * What changed between two package sets (old base → new base), and the one-line summary the
 * rebase output, notifications and `status` show: "openssl 3.0.15-1 → 3.0.16-1; 4 more".
 */
import type { InstalledPackage, PackageSet } from './package-db.js';
import { compareVersions } from './package-version.js';

export interface PackageChange {
  /** Key in the package set: the package name, or "name:arch" for multiarch copies. */
  readonly name: string;
  readonly from: string;
  readonly to: string;
  /** Source package in the new set (see InstalledPackage.source). */
  readonly source: string;
  readonly sourceFrom: string;
  readonly sourceTo: string;
}

export interface PackagePresence {
  readonly name: string;
  readonly version: string;
  readonly source: string;
}

export interface PackageDiff {
  /** Each list sorted by name. */
  readonly upgraded: readonly PackageChange[];
  readonly downgraded: readonly PackageChange[];
  readonly added: readonly PackagePresence[];
  readonly removed: readonly PackagePresence[];
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function presence(name: string, pkg: InstalledPackage): PackagePresence {
  return { name, version: pkg.version, source: pkg.source };
}

/**
 * Compares by package key. Versions are ordered by the new package's database (dpkg or apk);
 * two spellings of one version ("1.0" and "1.0-0" for dpkg) are no change.
 */
export function diffPackages(
  previous: Pick<PackageSet, 'packages'>,
  next: Pick<PackageSet, 'packages'>,
): PackageDiff {
  const upgraded: PackageChange[] = [];
  const downgraded: PackageChange[] = [];
  const added: PackagePresence[] = [];
  const removed: PackagePresence[] = [];
  for (const [name, after] of next.packages) {
    const before = previous.packages.get(name);
    if (before === undefined) {
      added.push(presence(name, after));
      continue;
    }
    if (before.version === after.version) continue;
    const order = compareVersions(after.format, before.version, after.version);
    if (order === 0) continue;
    const change: PackageChange = {
      name,
      from: before.version,
      to: after.version,
      source: after.source,
      sourceFrom: before.sourceVersion,
      sourceTo: after.sourceVersion,
    };
    (order < 0 ? upgraded : downgraded).push(change);
  }
  for (const [name, before] of previous.packages) {
    if (!next.packages.has(name)) removed.push(presence(name, before));
  }
  return {
    upgraded: upgraded.sort(byName),
    downgraded: downgraded.sort(byName),
    added: added.sort(byName),
    removed: removed.sort(byName),
  };
}

export interface PackageChangeGroup {
  /** The source package when several of its binaries moved (or the one binary has its name), else the binary. */
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly direction: 'upgrade' | 'downgrade';
  /** The binary packages (set keys) behind this line, sorted. */
  readonly packages: readonly string[];
}

/**
 * Source packages whose updates are most often security fixes in base images; they lead the
 * summary so "openssl …" is not hidden behind "4 more" by an alphabetically earlier "adduser".
 */
const SECURITY_SOURCES: ReadonlySet<string> = new Set([
  'bash',
  'busybox',
  'bzip2',
  'ca-certificates',
  'curl',
  'expat',
  'glibc',
  'gnupg2',
  'gnutls28',
  'krb5',
  'libgcrypt20',
  'libssh',
  'libssh2',
  'libxml2',
  'musl',
  'ncurses',
  'nss',
  'openldap',
  'openssh',
  'openssl',
  'pam',
  'perl',
  'shadow',
  'sqlite3',
  'sudo',
  'systemd',
  'tar',
  'xz',
  'xz-utils',
  'zlib',
]);

/**
 * One line per source package whose binaries moved together: libssl3 and openssl (source
 * openssl, 3.0.15-1 → 3.0.16-1) become "openssl 3.0.15-1 → 3.0.16-1", showing the source's
 * version. Binaries of one source that moved between different versions stay apart. A lone
 * binary keeps its own name and version unless it is named like its source, so users see the
 * package they know (libssl3) rather than a source they may never have heard of.
 *
 * Order: sources in SECURITY_SOURCES first, then the rest; by name within each.
 */
export function groupPackageChanges(diff: Pick<PackageDiff, 'upgraded' | 'downgraded'>): PackageChangeGroup[] {
  const buckets = new Map<string, { direction: 'upgrade' | 'downgrade'; changes: PackageChange[] }>();
  const collect = (changes: readonly PackageChange[], direction: 'upgrade' | 'downgrade'): void => {
    for (const change of changes) {
      const key = [direction, change.source, change.sourceFrom, change.sourceTo].join('\0');
      const bucket = buckets.get(key) ?? { direction, changes: [] };
      bucket.changes.push(change);
      buckets.set(key, bucket);
    }
  };
  collect(diff.upgraded, 'upgrade');
  collect(diff.downgraded, 'downgrade');

  const groups: Array<PackageChangeGroup & { source: string }> = [];
  for (const { direction, changes } of buckets.values()) {
    const [only, ...others] = changes;
    if (only === undefined) continue;
    const packages = changes.map((change) => change.name).sort();
    if (others.length === 0 && only.name !== only.source) {
      groups.push({ name: only.name, from: only.from, to: only.to, direction, packages, source: only.source });
    } else {
      groups.push({ name: only.source, from: only.sourceFrom, to: only.sourceTo, direction, packages, source: only.source });
    }
  }
  const tier = (group: { source: string }): number => (SECURITY_SOURCES.has(group.source) ? 0 : 1);
  return groups
    .sort((a, b) => tier(a) - tier(b) || byName(a, b) || (a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0))
    .map(({ source: _source, ...group }) => group);
}

export interface SummarizeOptions {
  /** How many changed packages to name before "N more". Default 1. */
  readonly limit?: number;
}

function formatGroup(group: PackageChangeGroup): string {
  const line = `${group.name} ${group.from} → ${group.to}`;
  return group.direction === 'downgrade' ? `${line} (downgrade)` : line;
}

/**
 * "openssl 3.0.15-1 → 3.0.16-1; 4 more; 1 added, 2 removed": the first `limit` changed
 * packages (grouped and ordered as groupPackageChanges does), how many other changed lines
 * there are, then counts of added and removed packages. "no package changes" when empty.
 */
export function summarizePackageDiff(diff: PackageDiff, options: SummarizeOptions = {}): string {
  const limit = options.limit ?? 1;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`summarizePackageDiff: limit must be a non-negative integer, got ${limit}`);
  }
  const groups = groupPackageChanges(diff);
  const parts: string[] = [];
  const shown = groups.slice(0, limit);
  if (shown.length > 0) parts.push(shown.map(formatGroup).join(', '));
  const rest = groups.length - shown.length;
  if (rest > 0) parts.push(shown.length > 0 ? `${rest} more` : `${rest} changed`);
  const presence = [
    ...(diff.added.length > 0 ? [`${diff.added.length} added`] : []),
    ...(diff.removed.length > 0 ? [`${diff.removed.length} removed`] : []),
  ];
  if (presence.length > 0) parts.push(presence.join(', '));
  return parts.length === 0 ? 'no package changes' : parts.join('; ');
}
