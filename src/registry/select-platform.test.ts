import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexEntry, ManifestIndex } from './manifest-schemas.js';
import { type PlatformSpec } from '../refs/platform.js';
import { selectPlatformManifest } from './select-platform.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
let next = 1;
function entry(os: string, architecture: string, variant?: string, annotations?: Record<string, string>): IndexEntry {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: digest(next++),
    size: 100,
    platform: { os, architecture, ...(variant !== undefined ? { variant } : {}) },
    ...(annotations ? { annotations } : {}),
  };
}
const index = (...manifests: IndexEntry[]): ManifestIndex => ({ schemaVersion: 2, manifests });

const amd64 = entry('linux', 'amd64');
const arm64 = entry('linux', 'arm64', 'v8');
const armv7 = entry('linux', 'arm', 'v7');
const armv6 = entry('linux', 'arm', 'v6');
const arm64NoVariant = entry('linux', 'arm64');
const windows = entry('windows', 'amd64');
const attestUnknown = entry('unknown', 'unknown');
const attestAnnotated = entry('linux', 'amd64', undefined, { 'vnd.docker.reference.type': 'attestation-manifest' });
const amd64v3 = entry('linux', 'amd64', 'v3');

describe('selectPlatformManifest', () => {
  const full = index(attestAnnotated, attestUnknown, amd64, arm64, armv7, armv6, windows);
  const table: Array<[string, ManifestIndex, PlatformSpec, IndexEntry | null]> = [
    ['linux/amd64 skips an attestation listed first', full, { os: 'linux', architecture: 'amd64' }, amd64],
    ['x86_64 is amd64', full, { os: 'linux', architecture: 'x86_64' }, amd64],
    ['amd64 v1 is plain amd64', full, { os: 'linux', architecture: 'amd64', variant: 'v1' }, amd64],
    ['amd64 does not take a v3 image', index(amd64v3), { os: 'linux', architecture: 'amd64' }, null],
    ['arm64 without variant matches v8', full, { os: 'linux', architecture: 'arm64' }, arm64],
    ['aarch64 is arm64', full, { os: 'linux', architecture: 'aarch64' }, arm64],
    ['arm64/v8 matches an entry without variant', index(amd64, arm64NoVariant), { os: 'linux', architecture: 'arm64', variant: 'v8' }, arm64NoVariant],
    ['arm defaults to v7', full, { os: 'linux', architecture: 'arm' }, armv7],
    ['arm/v7 prefers the exact variant over v6 listed first', index(armv6, armv7), { os: 'linux', architecture: 'arm', variant: 'v7' }, armv7],
    ['arm/v7 falls back to v6', index(amd64, armv6), { os: 'linux', architecture: 'arm', variant: 'v7' }, armv6],
    ['arm/v6 does not take v7', index(armv7), { os: 'linux', architecture: 'arm', variant: 'v6' }, null],
    ['variant "7" is v7', full, { os: 'linux', architecture: 'arm', variant: '7' }, armv7],
    ['windows/amd64 is not linux', full, { os: 'windows', architecture: 'amd64' }, windows],
    ['no s390x', full, { os: 'linux', architecture: 's390x' }, null],
    ['only attestations: no match', index(attestUnknown, attestAnnotated), { os: 'linux', architecture: 'amd64' }, null],
    ['unknown/unknown is never selected, even when asked for', full, { os: 'unknown', architecture: 'unknown' }, null],
  ];
  for (const [name, idx, platform, expected] of table) {
    it(name, () => assert.equal(selectPlatformManifest(idx, platform)?.digest ?? null, expected?.digest ?? null));
  }

  it('skips entries without a platform', () => {
    const bare: IndexEntry = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(999), size: 1 };
    assert.equal(selectPlatformManifest(index(bare), { os: 'linux', architecture: 'amd64' }), null);
  });
});
