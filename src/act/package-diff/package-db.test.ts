import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerEntry, LayerScan } from '../../archive/layer-scan.js';
import { type InstalledPackage, packagesFromLayers, parseApkInstalled, parseControlStanzas, parseDpkgStatus } from './package-db.js';

const DPKG_STATUS = `Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 6160
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.15-1~deb12u1
Depends: libc6 (>= 2.34)
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL
 and TLS cryptographic protocols for secure communication over the
 .
 Internet.

Package: curl
Status: deinstall ok config-files
Architecture: amd64
Version: 7.88.1-10+deb12u8

Package: half
Status: install reinstreq half-installed
Architecture: amd64
Version: 1.0-1

Package: libc6
Status: hold ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u9

Package: libc6
Status: install ok installed
Architecture: i386
Source: glibc
Version: 2.36-9+deb12u9

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14+deb12u1
`;

const pkg = (name: string, version: string, arch: string | null, source = name, sourceVersion = version): InstalledPackage => ({
  name,
  version,
  arch,
  source,
  sourceVersion,
  format: 'dpkg',
});

const apkPkg = (name: string, version: string, arch: string, source = name): InstalledPackage => ({
  name,
  version,
  arch,
  source,
  sourceVersion: version,
  format: 'apk',
});

describe('parseControlStanzas', () => {
  it('joins continuation lines and lower-cases field names, with CRLF too', () => {
    assert.deepEqual(parseControlStanzas('Package: a\r\nDescription: one\r\n two\r\n\r\n\r\nPACKAGE: b\r\n'), [
      new Map([
        ['package', 'a'],
        ['description', 'one\ntwo'],
      ]),
      new Map([['package', 'b']]),
    ]);
  });
});

describe('parseDpkgStatus', () => {
  it('keeps installed packages only, with arch, source and source version', () => {
    assert.deepEqual(parseDpkgStatus(DPKG_STATUS, { installedWithoutStatus: false }), [
      pkg('libssl3', '3.0.15-1~deb12u1', 'amd64', 'openssl'),
      pkg('libc6', '2.36-9+deb12u9', 'amd64', 'glibc'),
      pkg('libc6', '2.36-9+deb12u9', 'i386', 'glibc'),
      pkg('tzdata', '2024a-0+deb12u1', 'all'),
      pkg('libgcc-s1', '12.2.0-14+deb12u1', 'amd64', 'gcc-12', '12.2.0-14'),
    ]);
  });

  it('counts stanzas without Status only for status.d files', () => {
    const text = 'Package: base-files\nVersion: 12.4+deb12u8\nArchitecture: amd64\n';
    assert.deepEqual(parseDpkgStatus(text, { installedWithoutStatus: false }), []);
    assert.deepEqual(parseDpkgStatus(text, { installedWithoutStatus: true }), [pkg('base-files', '12.4+deb12u8', 'amd64')]);
  });
});

describe('parseApkInstalled', () => {
  it('reads P/V/A/o records, skipping records without a name or version', () => {
    const text = [
      'C:Q1abc=\nP:libcrypto3\nV:3.3.2-r0\nA:x86_64\nS:1700000\nI:4600000\nT:Crypto library from openssl\nU:https://www.openssl.org/\nL:Apache-2.0\no:openssl\nm:Natanael Copa\nt:1725000000\nc:abcdef\nD:so:libc.musl-x86_64.so.1\np:so:libcrypto.so.3=3\nF:usr/lib\nR:libcrypto.so.3\na:0:0:755',
      'P:musl\nV:1.2.5-r0\nA:x86_64\no:musl',
      'P:busybox-binsh\nV:1.36.1-r29\nA:x86_64',
      'V:1.0-r0\nA:x86_64',
      '',
    ].join('\n\n');
    assert.deepEqual(parseApkInstalled(text), [
      apkPkg('libcrypto3', '3.3.2-r0', 'x86_64', 'openssl'),
      apkPkg('musl', '1.2.5-r0', 'x86_64'),
      apkPkg('busybox-binsh', '1.36.1-r29', 'x86_64'),
    ]);
  });
});

/** A layer holding these files (contents captured), plus whiteouts ("-path") and opaque folders ("path/*"). */
function layer(files: Record<string, string>, deletions: string[] = []): LayerScan {
  const entries: LayerEntry[] = [];
  const base = { type: 'file', mode: 0o644, size: 0, linkname: null } as const;
  for (const spec of deletions) {
    entries.push(
      spec.endsWith('/*')
        ? { ...base, path: spec.slice(0, -2), whiteout: 'opaque' }
        : { ...base, path: spec, whiteout: 'whiteout' },
    );
  }
  for (const path of Object.keys(files)) entries.push({ ...base, path, whiteout: null });
  const captured = new Map(Object.entries(files).map(([path, text]) => [path, Buffer.from(text)]));
  return { diffId: 'sha256:x', size: 0, entries, captured };
}

const stanza = (name: string, version: string, extra = ''): string =>
  `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\n${extra}`;
const installed = 'Status: install ok installed\n';
const keys = (set: { packages: ReadonlyMap<string, InstalledPackage> }) =>
  Object.fromEntries([...set.packages].map(([key, p]) => [key, p.version]));

describe('packagesFromLayers', () => {
  it('uses the highest layer holding the status file', () => {
    const set = packagesFromLayers([
      layer({ 'var/lib/dpkg/status': stanza('openssl', '3.0.15-1', installed) }),
      layer({ 'etc/motd': '' }),
      layer({ 'var/lib/dpkg/status': `${stanza('openssl', '3.0.16-1', installed)}\n${stanza('zlib1g', '1:1.2.13', installed)}` }),
    ]);
    assert.equal(set.format, 'dpkg');
    assert.deepEqual(keys(set), { openssl: '3.0.16-1', zlib1g: '1:1.2.13' });
    assert.deepEqual(set.uncaptured, []);
  });

  it('reads distroless status.d files, each possibly with several stanzas, and honours whiteouts', () => {
    const set = packagesFromLayers([
      layer({
        'var/lib/dpkg/status.d/base-files': stanza('base-files', '12.4+deb12u8'),
        'var/lib/dpkg/status.d/base-files.md5sums': 'd41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n',
        'var/lib/dpkg/status.d/libssl3': `${stanza('libssl3', '3.0.15-1', 'Source: openssl\n')}\n${stanza('openssl', '3.0.15-1')}`,
        'var/lib/dpkg/status.d/tzdata': stanza('tzdata', '2024a-0+deb12u1'),
      }),
      layer({ 'var/lib/dpkg/status.d/libssl3': stanza('libssl3', '3.0.16-1', 'Source: openssl\n') }, ['var/lib/dpkg/status.d/tzdata']),
    ]);
    assert.equal(set.format, 'dpkg');
    assert.deepEqual(keys(set), { 'base-files': '12.4+deb12u8', libssl3: '3.0.16-1' });
    assert.equal(set.packages.get('libssl3')?.source, 'openssl');
  });

  it('drops databases under a whited-out or opaque folder, but keeps the layer’s own copy', () => {
    const status = { 'var/lib/dpkg/status': stanza('a', '1', installed) };
    assert.equal(packagesFromLayers([layer(status), layer({}, ['var/lib/dpkg'])]).format, 'none');
    assert.equal(packagesFromLayers([layer(status), layer({}, ['var/lib/dpkg/*'])]).format, 'none');
    assert.deepEqual(keys(packagesFromLayers([layer(status), layer({ 'var/lib/dpkg/status': stanza('b', '2', installed) }, ['var/lib/*'])])), {
      b: '2',
    });
  });

  it('reads apk, says mixed when both kinds exist, and none when neither does', () => {
    const apk = { 'lib/apk/db/installed': 'P:musl\nV:1.2.5-r0\nA:x86_64\n\nP:libssl3\nV:3.3.2-r0\nA:x86_64\no:openssl\n' };
    const alpine = packagesFromLayers([layer(apk)]);
    assert.equal(alpine.format, 'apk');
    assert.deepEqual(keys(alpine), { musl: '1.2.5-r0', libssl3: '3.3.2-r0' });
    assert.equal(packagesFromLayers([layer(apk), layer({ 'var/lib/dpkg/status': '' })]).format, 'mixed');
    assert.deepEqual(packagesFromLayers([layer({ 'bin/busybox': '' })]), { format: 'none', packages: new Map(), uncaptured: [] });
  });

  it('keys multiarch copies by name:arch', () => {
    const set = packagesFromLayers([layer({ 'var/lib/dpkg/status': DPKG_STATUS })]);
    assert.deepEqual(Object.keys(keys(set)), ['libssl3', 'libc6:amd64', 'libc6:i386', 'tzdata', 'libgcc-s1']);
  });

  it('lists database files it saw but could not read', () => {
    const big: LayerScan = {
      diffId: 'sha256:y',
      size: 0,
      entries: [{ path: 'var/lib/dpkg/status', type: 'file', mode: 0o644, size: 64 << 20, linkname: null, whiteout: null }],
      captured: new Map(),
    };
    assert.deepEqual(packagesFromLayers([big]), { format: 'dpkg', packages: new Map(), uncaptured: ['var/lib/dpkg/status'] });
  });
});
