import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageRef } from '../refs/image-ref.js';
import type { ImageManifest } from './manifest-schemas.js';
import type { FetchedManifest, ManifestHead, RegistryClient } from './registry-client.js';
import { resolvePlatformManifest } from './resolve-upstream.js';

const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;
const MANIFEST_DIGEST = digest(1);
const CONFIG_DIGEST = digest(2);
const manifest: ImageManifest = {
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: CONFIG_DIGEST, size: 10 },
  layers: [],
};

/** A registry holding one single-platform image under tag `1`, recording what it was asked. */
function fakeRegistry(calls: string[]): RegistryClient {
  const reference = (ref: ImageRef): string => ref.digest ?? ref.tag ?? '?';
  return {
    headManifest: async (ref): Promise<ManifestHead> => {
      calls.push(`HEAD ${reference(ref)}`);
      return { ok: true, digest: MANIFEST_DIGEST, mediaType: manifest.mediaType ?? '', size: 100 };
    },
    getManifest: async (ref): Promise<FetchedManifest> => {
      calls.push(`GET ${reference(ref)}`);
      return { ok: true, kind: 'image', digest: MANIFEST_DIGEST, mediaType: manifest.mediaType ?? '', size: 100, manifest };
    },
    getBlob: async () => assert.fail('no blob is read'),
    listTags: async () => assert.fail('no tags are listed'),
    rateLimits: () => [],
    close: async () => undefined,
  };
}

const linux = { os: 'linux', architecture: 'amd64' };
const byTag: ImageRef = { registry: 'registry.test', repository: 'base', tag: '1', digest: null };
const byDigest: ImageRef = { ...byTag, tag: null, digest: MANIFEST_DIGEST };

describe('resolvePlatformManifest', () => {
  it('a tag: HEAD for its digest, then GET by that digest', async () => {
    const calls: string[] = [];
    const resolved = await resolvePlatformManifest(fakeRegistry(calls), byTag, linux);
    assert.deepEqual(calls, [`HEAD 1`, `GET ${MANIFEST_DIGEST}`]);
    assert.ok(resolved.ok, JSON.stringify(resolved));
    assert.ok(!resolved.unchanged, JSON.stringify(resolved));
    assert.equal(resolved.configDigest, CONFIG_DIGEST, JSON.stringify(resolved));
  });

  it('a digest: GET straight away, no HEAD (the GET checks the bytes against the digest)', async () => {
    const calls: string[] = [];
    const resolved = await resolvePlatformManifest(fakeRegistry(calls), byDigest, linux);
    assert.deepEqual(calls, [`GET ${MANIFEST_DIGEST}`]);
    assert.ok(resolved.ok, JSON.stringify(resolved));
    assert.ok(!resolved.unchanged, JSON.stringify(resolved));
    assert.equal(resolved.digest, MANIFEST_DIGEST);
    assert.equal(resolved.configDigest, CONFIG_DIGEST);
  });

  it('a known digest still costs one HEAD, and nothing more when it matches', async () => {
    const calls: string[] = [];
    const resolved = await resolvePlatformManifest(fakeRegistry(calls), byDigest, linux, { knownDigest: MANIFEST_DIGEST });
    assert.deepEqual(calls, [`HEAD ${MANIFEST_DIGEST}`]);
    assert.deepEqual(resolved, { ok: true, unchanged: true, digest: MANIFEST_DIGEST });
  });
});
