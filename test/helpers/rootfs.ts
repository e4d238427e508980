// The file tree of a fixture base image: a static busybox with its applets, /etc/os-release
// and a dpkg status database, like a (very) small Debian.
import { copyFile, chmod, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { runChecked } from '../world/process.js';
import { writeTree } from './temp.js';

export interface DpkgPackage {
  name: string;
  version: string;
  /** Source package, when it differs from name (e.g. libssl3 → openssl). */
  source?: string;
  /** Default: this machine's dpkg architecture. */
  architecture?: string;
}

export const DEFAULT_DPKG: readonly DpkgPackage[] = [
  { name: 'base-files', version: '12.4+deb12u5' },
  { name: 'libc6', version: '2.36-9+deb12u7', source: 'glibc' },
  { name: 'libssl3', version: '3.0.15-1~deb12u1', source: 'openssl' },
];

export const DEFAULT_OS_RELEASE: Readonly<Record<string, string>> = {
  PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
  NAME: 'Debian GNU/Linux',
  VERSION_ID: '12',
  VERSION: '12 (bookworm)',
  VERSION_CODENAME: 'bookworm',
  ID: 'debian',
};

export interface RootfsSpec {
  /** Path of a static busybox on this machine. */
  busybox: string;
  /** Extra files, path → content; they win over the defaults (e.g. '/etc/os-release'). */
  files?: Record<string, string | Uint8Array>;
  /** Packages for /var/lib/dpkg/status. Default DEFAULT_DPKG; [] writes an empty database. */
  dpkg?: readonly DpkgPackage[];
  /** Fields of /etc/os-release, or its whole text. Default DEFAULT_OS_RELEASE. */
  osRelease?: Record<string, string> | string;
}

export async function writeRootfs(root: string, spec: RootfsSpec): Promise<void> {
  for (const dir of ['bin', 'etc', 'root', 'tmp', 'usr/bin', 'var/lib/dpkg']) {
    await mkdir(join(root, dir), { recursive: true });
  }
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile(spec.busybox, join(root, 'bin/busybox'));
  await chmod(join(root, 'bin/busybox'), 0o755);
  for (const applet of await busyboxApplets(spec.busybox)) {
    if (applet !== 'busybox') await symlink('busybox', join(root, 'bin', applet));
  }
  await writeTree(root, {
    '/etc/os-release': osReleaseText(spec.osRelease ?? DEFAULT_OS_RELEASE),
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    '/etc/group': 'root:x:0:\nnogroup:x:65534:\n',
    '/var/lib/dpkg/status': dpkgStatus(spec.dpkg ?? DEFAULT_DPKG),
    ...spec.files,
  });
}

/** A dpkg status file listing the packages as installed. */
export function dpkgStatus(packages: readonly DpkgPackage[]): string {
  return packages
    .map((pkg) =>
      [
        `Package: ${pkg.name}`,
        'Status: install ok installed',
        'Priority: optional',
        'Section: misc',
        'Installed-Size: 1',
        'Maintainer: basewatch tests <tests@basewatch.invalid>',
        `Architecture: ${pkg.architecture ?? dpkgArchitecture()}`,
        ...(pkg.source ? [`Source: ${pkg.source}`] : []),
        `Version: ${pkg.version}`,
        `Description: ${pkg.name} (basewatch test fixture)`,
        '',
      ].join('\n'),
    )
    .join('\n');
}

export function osReleaseText(osRelease: Record<string, string> | string): string {
  if (typeof osRelease === 'string') return osRelease;
  const quote = (value: string) => `"${value.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;
  return Object.entries(osRelease)
    .map(([key, value]) => `${key}=${quote(value)}\n`)
    .join('');
}

function dpkgArchitecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', s390x: 's390x', ppc64: 'ppc64el' };
  return map[process.arch] ?? 'all';
}

let applets: Promise<string[]> | null = null;

function busyboxApplets(busybox: string): Promise<string[]> {
  applets ??= runChecked(busybox, ['--list']).then((out) => out.split('\n').filter((name) => /^[\w.[-]+$/.test(name)));
  return applets;
}
