import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareApkVersions, compareDpkgVersions, compareVersions } from './package-version.js';

/** Every earlier version in a chain sorts strictly before every later one, both ways round. */
function assertAscending(compare: (a: string, b: string) => number, chain: readonly string[]): void {
  chain.forEach((lower, i) => {
    chain.slice(i + 1).forEach((higher) => {
      assert.equal(compare(lower, higher), -1, `${lower} < ${higher}`);
      assert.equal(compare(higher, lower), 1, `${higher} > ${lower}`);
    });
  });
}

describe('compareDpkgVersions', () => {
  // Each chain was checked against `dpkg --compare-versions`.
  const chains: Array<[string, string[]]> = [
    ['tilde sorts before everything, even the end', ['1.0~~', '1.0~~a', '1.0~', '1.0~rc1', '1.0', '1.0a', '1.0+', '1.0.1']],
    ['revisions, numerically', ['1.0-1', '1.0-2', '1.0-10', '1.0-10+b1']],
    ['Debian security revisions', ['3.0.15-1~deb12u1', '3.0.15-1', '3.0.15-1+deb12u1', '3.0.16-1']],
    ['epochs beat everything after them', ['9.9-9', '1:0.1-1', '1:0.2', '2:0.0.1', '10:0']],
    ['glibc point releases', ['2.36-9+deb12u4', '2.36-9+deb12u7', '2.36-9+deb12u10']],
    ['numbers are numbers, not text', ['1.9', '1.10', '1.100']],
    ['an upstream version with hyphens splits at the last one', ['1.0-1-1', '1.0-1-2', '1.0-2-0']],
  ];
  for (const [name, chain] of chains) it(`orders ${name}`, () => assertAscending(compareDpkgVersions, chain));

  it('treats spellings of one version as equal', () => {
    for (const [a, b] of [
      ['1.0', '1.0-0'],
      ['1.0', '1.00'],
      ['0:1.0-1', '1.0-1'],
      ['3.0.15-1', '3.0.15-1'],
    ] as const) {
      assert.equal(compareDpkgVersions(a, b), 0, `${a} = ${b}`);
    }
  });
});

describe('compareApkVersions', () => {
  const chains: Array<[string, string[]]> = [
    ['-r revisions, numerically', ['1.2.3-r0', '1.2.3-r1', '1.2.3-r9', '1.2.3-r10', '1.2.4-r0']],
    ['suffixes: pre-releases before the release, patches after', ['1.0_alpha', '1.0_beta', '1.0_pre', '1.0_rc', '1.0_rc1', '1.0_rc2', '1.0', '1.0_cvs', '1.0_svn', '1.0_git', '1.0_hg', '1.0_p1', '1.0_p2']],
    ['letters after the bare version', ['1.0', '1.0a', '1.0b']],
    ['a longer version is newer unless it goes on with a pre-release', ['3.1_rc1', '3.1', '3.1_p1', '3.1.0', '3.1.1']],
    ['leading zeros compare as text', ['1.01', '1.02', '1.1']],
    ['numbers are numbers', ['1.9', '1.10', '1.100']],
    ['OpenSSL on Alpine', ['3.3.2-r0', '3.3.2-r1', '3.3.3-r0']],
  ];
  for (const [name, chain] of chains) it(`orders ${name}`, () => assertAscending(compareApkVersions, chain));

  it('treats equal versions as equal, ignoring a commit hash only when both have it', () => {
    assert.equal(compareApkVersions('1.2.3-r4', '1.2.3-r4'), 0);
    assert.equal(compareApkVersions('1.0_git20240101~abc123-r0', '1.0_git20240101~abc123-r0'), 0);
    assert.equal(compareApkVersions('1.0~abc-r0', '1.0~abd-r0'), -1);
  });
});

describe('compareVersions', () => {
  it('picks the scheme: "1.0_rc1" is before "1.0" for apk, after it for dpkg', () => {
    assert.equal(compareVersions('apk', '1.0_rc1', '1.0'), -1);
    assert.equal(compareVersions('dpkg', '1.0_rc1', '1.0'), 1);
  });
});
