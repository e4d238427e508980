import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstalledPackage } from './package-db.js';
import { diffPackages, groupPackageChanges, summarizePackageDiff } from './package-diff.js';

type Spec = [name: string, version: string, source?: string, sourceVersion?: string];

function set(format: 'dpkg' | 'apk', specs: Spec[]): { packages: Map<string, InstalledPackage> } {
  return {
    packages: new Map(
      specs.map(([name, version, source = name, sourceVersion = version]) => [
        name,
        { name, version, arch: 'amd64', source, sourceVersion, format },
      ]),
    ),
  };
}

const bookwormOld = set('dpkg', [
  ['adduser', '3.134'],
  ['libssl3', '3.0.15-1~deb12u1', 'openssl'],
  ['openssl', '3.0.15-1~deb12u1'],
  ['libc6', '2.36-9+deb12u7', 'glibc'],
  ['libc-bin', '2.36-9+deb12u7', 'glibc'],
  ['tzdata', '2024a-0+deb12u1'],
  ['libgnutls30', '3.7.9-2+deb12u3', 'gnutls28'],
  ['apt', '2.6.1'],
  ['old-tool', '1.0-1'],
]);
const bookwormNew = set('dpkg', [
  ['adduser', '3.134'],
  ['libssl3', '3.0.16-1~deb12u1', 'openssl'],
  ['openssl', '3.0.16-1~deb12u1'],
  ['libc6', '2.36-9+deb12u9', 'glibc'],
  ['libc-bin', '2.36-9+deb12u9', 'glibc'],
  ['tzdata', '2025a-0+deb12u1'],
  ['libgnutls30', '3.7.9-2+deb12u4', 'gnutls28'],
  ['apt', '2.6.0'],
  ['new-tool', '2.0-1'],
  ['another', '1'],
]);

describe('diffPackages', () => {
  it('sorts changes into upgraded, downgraded, added and removed, by name', () => {
    const diff = diffPackages(bookwormOld, bookwormNew);
    assert.deepEqual(
      diff.upgraded.map((c) => `${c.name} ${c.from} → ${c.to} (${c.source})`),
      [
        'libc-bin 2.36-9+deb12u7 → 2.36-9+deb12u9 (glibc)',
        'libc6 2.36-9+deb12u7 → 2.36-9+deb12u9 (glibc)',
        'libgnutls30 3.7.9-2+deb12u3 → 3.7.9-2+deb12u4 (gnutls28)',
        'libssl3 3.0.15-1~deb12u1 → 3.0.16-1~deb12u1 (openssl)',
        'openssl 3.0.15-1~deb12u1 → 3.0.16-1~deb12u1 (openssl)',
        'tzdata 2024a-0+deb12u1 → 2025a-0+deb12u1 (tzdata)',
      ],
    );
    assert.deepEqual(diff.downgraded, [{ name: 'apt', from: '2.6.1', to: '2.6.0', source: 'apt', sourceFrom: '2.6.1', sourceTo: '2.6.0' }]);
    assert.deepEqual(diff.added, [
      { name: 'another', version: '1', source: 'another' },
      { name: 'new-tool', version: '2.0-1', source: 'new-tool' },
    ]);
    assert.deepEqual(diff.removed, [{ name: 'old-tool', version: '1.0-1', source: 'old-tool' }]);
  });

  it('orders by the database’s own rules, and treats spellings of one version as no change', () => {
    const dpkg = diffPackages(set('dpkg', [['a', '1.0~rc1'], ['b', '1:0.9'], ['c', '1.0']]), set('dpkg', [['a', '1.0'], ['b', '2.0'], ['c', '1.0-0']]));
    assert.deepEqual([dpkg.upgraded.map((c) => c.name), dpkg.downgraded.map((c) => c.name)], [['a'], ['b']]);
    const apk = diffPackages(set('apk', [['a', '1.0_rc1-r0'], ['b', '1.2.3-r10']]), set('apk', [['a', '1.0-r0'], ['b', '1.2.3-r9']]));
    assert.deepEqual([apk.upgraded.map((c) => c.name), apk.downgraded.map((c) => c.name)], [['a'], ['b']]);
  });
});

describe('groupPackageChanges', () => {
  it('names binaries that moved together by their source, security-relevant sources first', () => {
    assert.deepEqual(groupPackageChanges(diffPackages(bookwormOld, bookwormNew)), [
      { name: 'glibc', from: '2.36-9+deb12u7', to: '2.36-9+deb12u9', direction: 'upgrade', packages: ['libc-bin', 'libc6'] },
      { name: 'libgnutls30', from: '3.7.9-2+deb12u3', to: '3.7.9-2+deb12u4', direction: 'upgrade', packages: ['libgnutls30'] },
      { name: 'openssl', from: '3.0.15-1~deb12u1', to: '3.0.16-1~deb12u1', direction: 'upgrade', packages: ['libssl3', 'openssl'] },
      { name: 'apt', from: '2.6.1', to: '2.6.0', direction: 'downgrade', packages: ['apt'] },
      { name: 'tzdata', from: '2024a-0+deb12u1', to: '2025a-0+deb12u1', direction: 'upgrade', packages: ['tzdata'] },
    ]);
  });

  it('shows the source version for a binNMU group, and keeps binaries that moved apart separate', () => {
    const groups = groupPackageChanges(
      diffPackages(
        set('dpkg', [['libgcc-s1', '12.2.0-14+b1', 'gcc-12', '12.2.0-14'], ['libstdc++6', '12.2.0-14+b1', 'gcc-12', '12.2.0-14'], ['x1', '1', 'x'], ['x2', '1', 'x']]),
        set('dpkg', [['libgcc-s1', '12.2.0-15+b1', 'gcc-12', '12.2.0-15'], ['libstdc++6', '12.2.0-15+b1', 'gcc-12', '12.2.0-15'], ['x1', '2', 'x'], ['x2', '3', 'x']]),
      ),
    );
    assert.deepEqual(
      groups.map((g) => `${g.name} ${g.from} → ${g.to}`),
      ['gcc-12 12.2.0-14 → 12.2.0-15', 'x1 1 → 2', 'x2 1 → 3'],
    );
  });
});

describe('summarizePackageDiff', () => {
  const cases: Array<[name: string, old: ReturnType<typeof set>, next: ReturnType<typeof set>, limit: number | undefined, expected: string]> = [
    ['no changes', bookwormOld, bookwormOld, undefined, 'no package changes'],
    ['the default limit of one', bookwormOld, bookwormNew, undefined, 'glibc 2.36-9+deb12u7 → 2.36-9+deb12u9; 4 more; 2 added, 1 removed'],
    [
      'a larger limit, with a downgrade',
      bookwormOld,
      bookwormNew,
      4,
      'glibc 2.36-9+deb12u7 → 2.36-9+deb12u9, libgnutls30 3.7.9-2+deb12u3 → 3.7.9-2+deb12u4, openssl 3.0.15-1~deb12u1 → 3.0.16-1~deb12u1, apt 2.6.1 → 2.6.0 (downgrade); 1 more; 2 added, 1 removed',
    ],
    ['limit 0', bookwormOld, bookwormNew, 0, '5 changed; 2 added, 1 removed'],
    [
      'the openssl example',
      set('dpkg', [['libssl3', '3.0.15-1', 'openssl'], ['openssl', '3.0.15-1'], ['a', '1'], ['b', '1'], ['c', '1'], ['d', '1']]),
      set('dpkg', [['libssl3', '3.0.16-1', 'openssl'], ['openssl', '3.0.16-1'], ['a', '2'], ['b', '2'], ['c', '2'], ['d', '2']]),
      1,
      'openssl 3.0.15-1 → 3.0.16-1; 4 more',
    ],
    ['only added packages', set('apk', []), set('apk', [['musl', '1.2.5-r0']]), 1, '1 added'],
    ['only removed packages', set('apk', [['musl', '1.2.5-r0']]), set('apk', []), 1, '1 removed'],
    [
      'apk origins group like dpkg sources',
      set('apk', [['libcrypto3', '3.3.2-r0', 'openssl'], ['libssl3', '3.3.2-r0', 'openssl'], ['zlib', '1.3.1-r1']]),
      set('apk', [['libcrypto3', '3.3.2-r1', 'openssl'], ['libssl3', '3.3.2-r1', 'openssl'], ['zlib', '1.3.1-r2']]),
      2,
      'openssl 3.3.2-r0 → 3.3.2-r1, zlib 1.3.1-r1 → 1.3.1-r2',
    ],
  ];
  for (const [name, old, next, limit, expected] of cases) {
    it(`summarizes ${name}`, () => {
      const diff = diffPackages(old, next);
      assert.equal(summarizePackageDiff(diff, limit === undefined ? undefined : { limit }), expected);
    });
  }

  it('rejects a negative limit', () => {
    assert.throws(() => summarizePackageDiff(diffPackages(bookwormOld, bookwormNew), { limit: -1 }), RangeError);
  });
});
