// The registry client against a real, anonymous docker-registry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mustParseImageRef } from '../src/refs/image-ref.js';
import { createRegistryClient } from '../src/registry/registry-client.js';
import { resolvePlatformManifest } from '../src/registry/resolve-upstream.js';
import { OCI_INDEX, pushImage, pushMultiArch } from './registry-content.js';
import { freePort, registrySkipReason, startRecordingProxy, startRegistry } from './registry-harness.js';

const skip = registrySkipReason();

describe('registry client on a plain registry', { skip }, () => {
  it('HEADs and GETs a single-platform image anonymously', async (t) => {
    const registry = await startRegistry(t);
    const pushed = await pushImage({ url: registry.url }, 'base/alpine', '3.20', { docker: true });
    const client = createRegistryClient();
    t.after(() => client.close());
    const ref = mustParseImageRef(`${registry.address}/base/alpine:3.20`);

    const head = await client.headManifest(ref);
    assert.deepEqual(head, { ok: true, digest: pushed.digest, mediaType: pushed.mediaType, size: pushed.size });

    const got = await client.getManifest(ref);
    assert.ok(got.ok, JSON.stringify(got));
    assert.equal(got.kind, 'image', JSON.stringify(got));
    assert.equal(got.digest, pushed.digest);
    assert.equal(got.manifest.config.digest, pushed.configDigest);

    const resolved = await resolvePlatformManifest(client, ref, { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(resolved, { ok: true, unchanged: false, digest: pushed.digest, platformDigest: pushed.digest, configDigest: pushed.configDigest, isIndex: false });

    // The config blob, verified against its digest; a missing blob is not-found.
    const blob = await client.getBlob(ref, pushed.configDigest);
    assert.ok(blob.ok, JSON.stringify(blob));
    assert.equal((JSON.parse(blob.bytes.toString()) as { architecture: string }).architecture, 'amd64');
    const missing = await client.getBlob(ref, `sha256:${'0'.repeat(64)}`);
    assert.ok(!missing.ok, JSON.stringify(missing));
    assert.equal(missing.kind, 'not-found', JSON.stringify(missing));
  });

  it('answers not-found for a missing tag and a missing repository, naming the registry', async (t) => {
    const registry = await startRegistry(t);
    await pushImage({ url: registry.url }, 'base/app', '1');
    const client = createRegistryClient();
    t.after(() => client.close());
    const head = await client.headManifest(mustParseImageRef(`${registry.address}/base/app:2`));
    assert.equal(head.ok, false);
    assert.ok(!head.ok);
    assert.equal(head.kind, 'not-found');
    assert.equal(head.registry, registry.address);
    assert.match(head.message, new RegExp(`^${registry.address}: 404 .*base/app:2`));
    const get = await client.getManifest(mustParseImageRef(`${registry.address}/nothing/here:1`));
    assert.ok(!get.ok, JSON.stringify(get));
    assert.equal(get.kind, 'not-found', JSON.stringify(get));
    assert.match(get.message, /404 .*nothing\/here:1/, JSON.stringify(get));
  });

  for (const docker of [false, true]) {
    it(`resolves the local platform's child of a ${docker ? 'Docker manifest list' : 'OCI index'}; only that child changing counts`, async (t) => {
      const registry = await startRegistry(t);
      const proxy = await startRecordingProxy(t, registry.address);
      const pusher = { url: registry.url };
      const v1 = await pushMultiArch(pusher, 'base/multi', 'stable', { amd64: 'a1', arm64: 'b1', armv7: 'c1' }, { docker });
      const client = createRegistryClient();
      t.after(() => client.close());
      const ref = mustParseImageRef(`${proxy.address}/base/multi:stable`);
      const amd64 = { os: 'linux', architecture: 'amd64' };
      const arm64 = { os: 'linux', architecture: 'arm64' };

      const before = await resolvePlatformManifest(client, ref, amd64);
      assert.deepEqual(before, { ok: true, unchanged: false, digest: v1.index.digest, platformDigest: v1.amd64.digest, configDigest: v1.amd64.configDigest, isIndex: true });
      const arm = await resolvePlatformManifest(client, ref, arm64);
      assert.ok(arm.ok, JSON.stringify(arm));
      assert.ok(!arm.unchanged, JSON.stringify(arm));
      assert.equal(arm.platformDigest, v1.arm64.digest, JSON.stringify(arm));
      const armv7 = await resolvePlatformManifest(client, ref, { os: 'linux', architecture: 'arm', variant: 'v7' });
      assert.ok(armv7.ok, JSON.stringify(armv7));
      assert.ok(!armv7.unchanged, JSON.stringify(armv7));
      assert.equal(armv7.platformDigest, v1.armv7.digest);

      // Republish only arm64 under the same tag.
      const v2 = await pushMultiArch(pusher, 'base/multi', 'stable', { amd64: 'a1', arm64: 'b2', armv7: 'c1' }, { docker });
      assert.notEqual(v2.index.digest, v1.index.digest);
      assert.equal(v2.amd64.digest, v1.amd64.digest);

      const after = await resolvePlatformManifest(client, ref, amd64, { knownDigest: v1.index.digest });
      assert.ok(after.ok, JSON.stringify(after));
      assert.ok(!after.unchanged, JSON.stringify(after));
      assert.equal(after.digest, v2.index.digest);
      assert.equal(after.platformDigest, before.ok && !before.unchanged ? before.platformDigest : null, 'amd64 child unchanged');
      assert.equal(after.configDigest, v1.amd64.configDigest);
      const armAfter = await resolvePlatformManifest(client, ref, arm64, { knownDigest: v1.index.digest });
      assert.ok(armAfter.ok, JSON.stringify(armAfter));
      assert.ok(!armAfter.unchanged, JSON.stringify(armAfter));
      assert.equal(armAfter.platformDigest, v2.arm64.digest);
      assert.notEqual(armAfter.configDigest, v1.arm64.configDigest);

      // Nothing changed since: one HEAD, no GET.
      const gets = proxy.count('GET');
      const heads = proxy.count('HEAD');
      const unchanged = await resolvePlatformManifest(client, ref, amd64, { knownDigest: v2.index.digest });
      assert.deepEqual(unchanged, { ok: true, unchanged: true, digest: v2.index.digest });
      assert.equal(proxy.count('GET'), gets);
      assert.equal(proxy.count('HEAD'), heads + 1);
    });
  }

  it('answers no-platform when the index has no child for this platform, ignoring attestations', async (t) => {
    const registry = await startRegistry(t);
    await pushMultiArch({ url: registry.url }, 'base/multi', '1', { amd64: 'a', arm64: 'b', armv7: 'c' });
    const client = createRegistryClient();
    t.after(() => client.close());
    const result = await resolvePlatformManifest(client, mustParseImageRef(`${registry.address}/base/multi:1`), { os: 'linux', architecture: 's390x' });
    assert.ok(!result.ok, JSON.stringify(result));
    assert.equal(result.kind, 'no-platform', JSON.stringify(result));
    assert.deepEqual(result.available, ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7']);
    assert.match(result.message, /has no image for linux\/s390x/);
  });

  it('falls back to GET when HEAD has no Docker-Content-Digest', async (t) => {
    const registry = await startRegistry(t);
    const multi = await pushMultiArch({ url: registry.url }, 'base/multi', '1', { amd64: 'a', arm64: 'b', armv7: 'c' });
    const proxy = await startRecordingProxy(t, registry.address, { stripHeaders: (method) => (method === 'HEAD' ? ['docker-content-digest'] : []) });
    const client = createRegistryClient();
    t.after(() => client.close());
    const head = await client.headManifest(mustParseImageRef(`${proxy.address}/base/multi:1`));
    assert.deepEqual(head, { ok: true, digest: multi.index.digest, mediaType: OCI_INDEX, size: multi.index.size });
    assert.equal(proxy.count('GET', '/v2/base/multi/manifests/'), 1);
  });

  it('shares one request among identical concurrent calls and bounds concurrency', async (t) => {
    const registry = await startRegistry(t);
    const pusher = { url: registry.url };
    for (let i = 0; i < 6; i++) await pushImage(pusher, `base/b${i}`, 'latest', { seed: `s${i}` });
    const proxy = await startRecordingProxy(t, registry.address, { delayMs: 100 });
    const client = createRegistryClient({ maxConcurrency: 2 });
    t.after(() => client.close());

    // 60 "images" over 6 bases.
    const refs = Array.from({ length: 60 }, (_, i) => mustParseImageRef(`${proxy.address}/base/b${i % 6}:latest`));
    const results = await Promise.all(refs.map((ref) => client.headManifest(ref)));
    assert.ok(results.every((r) => r.ok));
    assert.equal(proxy.count('HEAD'), 6, proxy.requests.join('\n'));
    assert.equal(proxy.count('GET'), 0);
    assert.ok(proxy.maxInFlight <= 2, `max in flight ${proxy.maxInFlight}`);
    assert.equal(proxy.maxInFlight, 2);
  });

  it('answers unreachable quickly for a closed port', async (t) => {
    const port = await freePort();
    const client = createRegistryClient({ timeoutMs: 5_000 });
    t.after(() => client.close());
    const started = Date.now();
    const result = await client.headManifest(mustParseImageRef(`127.0.0.1:${port}/base/app:1`));
    assert.ok(Date.now() - started < 2_000);
    assert.ok(!result.ok, JSON.stringify(result));
    assert.equal(result.kind, 'unreachable', JSON.stringify(result));
    assert.equal(result.message, `127.0.0.1:${port}: cannot reach http://127.0.0.1:${port} (connection refused); check that the registry is up and the address is right`);
  });
});

// The registry `npm test` provisions for the whole suite, when there is one.
const shared = process.env.BASEWATCH_TEST_REGISTRY;
describe('registry client on the provisioned test registry', { skip: shared ? false : 'BASEWATCH_TEST_REGISTRY not set (npm test provisions it)' }, () => {
  it('HEADs and GETs what was pushed there', async (t) => {
    const repository = `basewatch-registry-test/r${process.pid}${Date.now()}`;
    const pushed = await pushImage({ url: `http://${shared}` }, repository, '1');
    const client = createRegistryClient();
    t.after(() => client.close());
    const ref = mustParseImageRef(`${shared}/${repository}:1`);
    assert.deepEqual(await client.headManifest(ref), { ok: true, digest: pushed.digest, mediaType: pushed.mediaType, size: pushed.size });
    const got = await client.getManifest(ref);
    assert.ok(got.ok, JSON.stringify(got));
    assert.equal(got.kind, 'image');
    assert.equal(got.manifest.config.digest, pushed.configDigest);
  });
});
