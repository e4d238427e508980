// Newer version tags against the real registry of the test world: tags pushed as tiny synthetic
// images, listed through the registry client (paginated), cached per schedule period.
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import { type TestContext, before, describe, it } from 'node:test';
import { mustParseImageRef } from '../src/refs/image-ref.js';
import { createRegistryClient } from '../src/registry/registry-client.js';
import { findNewerVersions } from '../src/resolve/versions/newer-versions.js';
import { allowedVersionsFor } from '../src/resolve/versions/propose-newer.js';
import { getWorld, makeTempDir, skipWithoutWorld, uniqueName } from './helpers/world.js';
import { pushImage } from './registry-content.js';
import { startRecordingProxy } from './registry-harness.js';

/** A proxy to the registry that can be switched to answering 503, like a registry going down. */
async function startGate(t: TestContext, upstream: string): Promise<{ address: string; up: boolean }> {
  const [host = '', port = ''] = upstream.split(':');
  const gate = { address: '', up: true };
  const server = createServer((req, res) => {
    if (!gate.up) return void res.writeHead(503, 'Service Unavailable').end();
    const forward = httpRequest({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  gate.address = `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return gate;
}

const TAGS = ['3.11-slim', '3.12-slim', '3.12.4-slim', '3.13-slim', '3.13-alpine', '3.14-rc-slim', 'latest'];
const HOUR = 3600;

describe('newer version tags (real registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  let repository = '';

  before(async () => {
    registry = getWorld()?.registry ?? '';
    repository = `${uniqueName('versions')}/python`;
    for (const tag of TAGS) await pushImage({ url: `http://${registry}` }, repository, tag, { seed: `${repository}:${tag}` });
  });

  it('lists every tag of the repository; a missing repository is a not-found value', async (t) => {
    const client = createRegistryClient();
    t.after(() => client.close());
    const all = await client.listTags(mustParseImageRef(`${registry}/${repository}:latest`));
    assert.ok(all.ok, JSON.stringify(all));
    assert.deepEqual([...all.tags].sort(), [...TAGS].sort());
    assert.equal(all.truncated, false);
    const missing = await client.listTags(mustParseImageRef(`${registry}/${uniqueName('nothing')}/here:1`));
    assert.ok(!missing.ok, JSON.stringify(missing));
    assert.equal(missing.kind, 'not-found', JSON.stringify(missing));
    assert.ok(missing.message.startsWith(`${registry}: 404 `), JSON.stringify(missing));
  });

  const expected: Array<[string, { includePrerelease?: boolean; allowed?: string }, Array<[string, string]>]> = [
    ['3.11-slim', {}, [['3.13-slim', 'minor'], ['3.12-slim', 'minor']]],
    ['3.12-slim', {}, [['3.13-slim', 'minor']]],
    ['3.12.4-slim', {}, []],
    ['3.13-slim', {}, []],
    ['3.13-alpine', {}, []],
    ['3.14-rc-slim', {}, []],
    ['latest', {}, []],
    ['3.12-slim', { includePrerelease: true }, [['3.14-rc-slim', 'minor'], ['3.13-slim', 'minor']]],
    ['3.11-slim', { allowed: '<3.13' }, [['3.12-slim', 'minor']]],
    ['3.11-slim', { allowed: '~3.13' }, [['3.13-slim', 'minor']]],
    ['3.11-slim', { allowed: '/^3\\.12-/' }, [['3.12-slim', 'minor']]],
  ];
  for (const [current, options, proposals] of expected) {
    it(`proposes ${proposals.map(([tag, kind]) => `${tag} (${kind})`).join(', ') || 'nothing'} for ${current} ${JSON.stringify(options)}`, async (t) => {
      const client = createRegistryClient();
      t.after(() => client.close());
      const ref = mustParseImageRef(`${registry}/${repository}:${current}`);
      // allowedVersions as the settings give it: rules by image glob, first match wins.
      const rules = options.allowed === undefined ? [] : [{ image: 'docker.io/*', versions: '<1' }, { image: `${registry}/${repository}`, versions: options.allowed }];
      const allowed = allowedVersionsFor(ref, rules);
      assert.ok(allowed === null || allowed.ok, JSON.stringify(allowed));
      const result = await findNewerVersions(client, ref, {
        cacheDir: await makeTempDir('tag-cache'),
        periodSeconds: 6 * HOUR,
        now: new Date(),
        includePrerelease: options.includePrerelease ?? false,
        allowed: allowed?.ok ? allowed.allowed : null,
      });
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(result.proposals.map((p) => [p.tag, p.kind]), proposals);
    });
  }

  it('lists a repository once per schedule period, and sees new tags after it', async (t) => {
    const proxy = await startRecordingProxy(t, registry);
    const client = createRegistryClient();
    t.after(() => client.close());
    const cacheDir = await makeTempDir('tag-cache');
    const now = new Date();
    const options = { cacheDir, periodSeconds: 6 * HOUR, now };
    const ref = (tag: string) => mustParseImageRef(`${proxy.address}/${repository}:${tag}`);
    const listings = () => proxy.count('GET', `/v2/${repository}/tags/list`);

    // Two bases of the same repository in one check: one listing.
    const [first, second] = await Promise.all([findNewerVersions(client, ref('3.11-slim'), options), findNewerVersions(client, ref('3.12-slim'), options)]);
    assert.ok(first.ok, JSON.stringify(first));
    assert.ok(second.ok, JSON.stringify(second));
    assert.equal(listings(), 1);
    assert.equal(first.fromCache, false);

    await pushImage({ url: `http://${registry}` }, repository, '3.15-slim', { seed: 'new' });
    const cached = await findNewerVersions(client, ref('3.12-slim'), { ...options, now: new Date(now.getTime() + 5 * HOUR * 1000) });
    assert.ok(cached.ok, JSON.stringify(cached));
    assert.ok(cached.fromCache, JSON.stringify(cached));
    assert.deepEqual(cached.proposals.map((p) => p.tag), ['3.13-slim']);
    assert.equal(listings(), 1);
    // A non-version tag costs nothing at all.
    assert.ok((await findNewerVersions(client, ref('latest'), options)).ok);
    assert.equal(listings(), 1);

    const later = await findNewerVersions(client, ref('3.12-slim'), { ...options, now: new Date(now.getTime() + 6 * HOUR * 1000) });
    assert.ok(later.ok, JSON.stringify(later));
    assert.ok(!later.fromCache, JSON.stringify(later));
    assert.deepEqual(later.proposals.map((p) => p.tag), ['3.15-slim', '3.13-slim']);
    assert.equal(listings(), 2);
  });

  it('answers from the last list, with a warning, when the registry is down; a failure without one is a value', async (t) => {
    const gate = await startGate(t, registry);
    const client = createRegistryClient({ timeoutMs: 3000 });
    t.after(() => client.close());
    const cacheDir = await makeTempDir('tag-cache');
    const now = new Date();
    const ref = mustParseImageRef(`${gate.address}/${repository}:3.11-slim`);
    assert.ok((await findNewerVersions(client, ref, { cacheDir, periodSeconds: 60, now })).ok);
    gate.up = false;
    const stale = await findNewerVersions(client, ref, { cacheDir, periodSeconds: 60, now: new Date(now.getTime() + 120_000) });
    assert.ok(stale.ok, JSON.stringify(stale));
    assert.ok(stale.fromCache, JSON.stringify(stale));
    assert.ok(stale.warning !== null, JSON.stringify(stale));
    assert.ok(stale.warning.startsWith(`${gate.address}: answered 503`), JSON.stringify(stale));
    assert.deepEqual(stale.proposals.map((p) => p.tag).slice(-2), ['3.13-slim', '3.12-slim']);
    const none = await findNewerVersions(client, ref, { cacheDir: await makeTempDir('tag-cache'), periodSeconds: 60, now });
    assert.ok(!none.ok, JSON.stringify(none));
    assert.equal(none.kind, 'unreachable', JSON.stringify(none));
  });
});
