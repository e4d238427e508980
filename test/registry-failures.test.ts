// Registries that misbehave: rate limits, hangs, server errors, garbage. Small node:http
// servers stand in for them (docker-registry cannot be made to answer 429 or schema1).
import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, it, type TestContext } from 'node:test';
import { mustParseImageRef } from '../src/refs/image-ref.js';
import { type RegistryClientOptions, createRegistryClient } from '../src/registry/registry-client.js';
import { startHttpServer } from './registry-harness.js';

async function fakeRegistry(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void, options: RegistryClientOptions = {}) {
  const seen: string[] = [];
  const { address } = await startHttpServer(t, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  const client = createRegistryClient({ timeoutMs: 1_000, ...options });
  t.after(() => client.close());
  return { seen, client, ref: mustParseImageRef(`${address}/base/app:1`), address };
}

const DIGEST = `sha256:${'0'.repeat(64)}`;

describe('rate limits', () => {
  it('retries a 429 as Retry-After says, then answers rate-limited with the budget seen', async (t) => {
    const { seen, client, ref, address } = await fakeRegistry(t, (_req, res) => {
      res.writeHead(429, { 'Retry-After': '1', 'RateLimit-Limit': '100;w=21600', 'RateLimit-Remaining': '0;w=21600' }).end();
    });
    const started = Date.now();
    const head = await client.headManifest(ref);
    const elapsed = Date.now() - started;
    assert.equal(seen.length, 3, 'one request and two retries');
    assert.ok(elapsed >= 1_900, `waited only ${elapsed} ms`);
    assert.ok(elapsed < 5_000, `waited ${elapsed} ms`);
    assert.deepEqual(head, {
      ok: false,
      kind: 'rate-limited',
      registry: address,
      message: `${address}: 429 too many requests for base/app:1, 0 of 100 pulls left per 6 h, still limited after 2 retries; try again in 1 s`,
      retryAfterSeconds: 1,
    });
    const [limit] = client.rateLimits();
    assert.equal(client.rateLimits().length, 1);
    assert.deepEqual({ ...limit, seenAt: undefined }, { registry: address, limit: 100, remaining: 0, windowSeconds: 21600, seenAt: undefined });
    assert.ok(Date.now() - Date.parse(limit?.seenAt ?? '') < 10_000);
  });

  it('succeeds when the registry recovers after a 429', async (t) => {
    let calls = 0;
    const { client, ref } = await fakeRegistry(t, (_req, res) => {
      calls++;
      if (calls === 1) return void res.writeHead(429, { 'Retry-After': new Date(Date.now() + 1_000).toUTCString() }).end();
      res.writeHead(200, { 'Docker-Content-Digest': DIGEST, 'Content-Type': 'application/vnd.oci.image.index.v1+json', 'Content-Length': '10' }).end();
    });
    const head = await client.headManifest(ref);
    assert.deepEqual(head, { ok: true, digest: DIGEST, mediaType: 'application/vnd.oci.image.index.v1+json', size: 10 });
    assert.equal(calls, 2);
  });

  it('does not sleep for a Retry-After beyond the wait budget', async (t) => {
    const { seen, client, ref } = await fakeRegistry(t, (_req, res) => res.writeHead(429, { 'Retry-After': '3600' }).end());
    const started = Date.now();
    const head = await client.headManifest(ref);
    assert.ok(Date.now() - started < 1_000);
    assert.equal(seen.length, 1);
    assert.ok(!head.ok, JSON.stringify(head));
    assert.equal(head.kind, 'rate-limited', JSON.stringify(head));
    assert.equal(head.retryAfterSeconds, 3600, JSON.stringify(head));
  });

  it('records rate-limit headers from successful answers too', async (t) => {
    const { client, ref, address } = await fakeRegistry(t, (_req, res) => {
      res.writeHead(200, { 'Docker-Content-Digest': DIGEST, 'Content-Type': 'application/vnd.oci.image.index.v1+json', 'Content-Length': '10', 'ratelimit-limit': '200;w=21600', 'ratelimit-remaining': '187;w=21600' }).end();
    });
    assert.ok((await client.headManifest(ref)).ok);
    assert.deepEqual(client.rateLimits().map(({ seenAt: _, ...rest }) => rest), [{ registry: address, limit: 200, remaining: 187, windowSeconds: 21600 }]);
  });
});

describe('broken registries', () => {
  it('times out a hanging connection within the timeout', async (t) => {
    const { client, ref, address } = await fakeRegistry(t, () => {
      // never answers
    });
    const started = Date.now();
    const head = await client.headManifest(ref);
    assert.ok(Date.now() - started < 3_000);
    assert.ok(!head.ok, JSON.stringify(head));
    assert.equal(head.kind, 'timeout', JSON.stringify(head));
    assert.match(head.message, new RegExp(`^${address}: http://${address} did not answer within 1 s`));
  });

  it('asks a registry that hung once no more in the same client: one timeout per check, not one per request', async (t) => {
    const { client, ref, address, seen } = await fakeRegistry(t, () => {
      // never answers
    });
    const first = await client.headManifest(ref);
    assert.ok(!first.ok, JSON.stringify(first));
    assert.equal(first.kind, 'timeout');
    const asked = seen.length;
    // What a check asks next of the same registry: another tag, a digest, a tag list.
    const other = await client.headManifest(mustParseImageRef(`${address}/base/other:2`));
    const byDigest = await client.getManifest(mustParseImageRef(`${address}/base/app@${DIGEST}`));
    for (const answer of [other, byDigest]) {
      assert.ok(!answer.ok, JSON.stringify(answer));
      assert.equal(answer.kind, 'timeout');
      assert.match(answer.message, new RegExp(`^${address}: http://${address} did not answer within 1 s.*; not asked again in this check$`));
    }
    assert.equal(seen.length, asked, `the hung registry was asked again: ${seen.join(', ')}`);
    // Another client (the next check) asks again.
    const next = createRegistryClient({ timeoutMs: 1_000 });
    t.after(() => next.close());
    await next.headManifest(ref);
    assert.equal(seen.length, asked + 1);
  });

  it('answers unreachable for a 500', async (t) => {
    const { client, ref, address } = await fakeRegistry(t, (_req, res) => res.writeHead(500).end('oops'));
    const head = await client.headManifest(ref);
    assert.deepEqual(head, { ok: false, kind: 'unreachable', registry: address, message: `${address}: answered 500 Internal Server Error for base/app:1; the registry has a problem, try again later` });
  });

  it('answers denied for a 403', async (t) => {
    const { client, ref } = await fakeRegistry(t, (_req, res) => res.writeHead(403).end());
    const head = await client.headManifest(ref);
    assert.ok(!head.ok, JSON.stringify(head));
    assert.equal(head.kind, 'denied', JSON.stringify(head));
    assert.match(head.message, /403 denied: base\/app:1 is not readable with anonymous pulls/, JSON.stringify(head));
  });

  it('answers protocol for garbage JSON, schema1, oversized bodies and a digest mismatch', async (t) => {
    const schema1 = JSON.stringify({ schemaVersion: 1, name: 'base/app', tag: '1', fsLayers: [], history: [] });
    const { client, address } = await fakeRegistry(t, (req, res) => {
      const tag = req.url?.split('/manifests/')[1] ?? '';
      if (tag === 'garbage') return void res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }).end('{"schemaVersion": 2, "manif');
      if (tag === 'schema1') return void res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }).end(schema1);
      if (tag === 'huge') return void res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }).end(Buffer.alloc(5 * 1024 * 1024, 32));
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json' }).end('{"schemaVersion":2,"manifests":[]}');
    });
    const get = (suffix: string) => client.getManifest(mustParseImageRef(`${address}/base/app${suffix}`));
    const expectations: Array<[string, RegExp]> = [
      [':garbage', /the manifest is not valid JSON/],
      [':schema1', /registry answered with a schema1 manifest/],
      [':huge', /sent more than 4 MiB for base\/app:huge, more than basewatch reads/],
      [`@${DIGEST}`, /does not match its digest/],
    ];
    for (const [suffix, pattern] of expectations) {
      const result = await get(suffix);
      assert.ok(!result.ok, `${suffix}: ${JSON.stringify(result)}`);
      assert.equal(result.kind, 'protocol', `${suffix}: ${JSON.stringify(result)}`);
      assert.match(result.message, pattern, `${suffix}: ${JSON.stringify(result)}`);
      assert.ok(result.message.startsWith(`${address}: `), `${suffix}: ${JSON.stringify(result)}`);
    }
  });

  it('reads every answer only up to its bound while it streams: an endless error body, an endless token answer, an announced 1 GiB manifest', async (t) => {
    let bytesSent = 0;
    const endless = (res: ServerResponse, status: number) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      const more = (): void => {
        while (!res.destroyed) {
          bytesSent += 64 * 1024;
          // A bound on the test itself: 256 MiB is what "endless" means here.
          if (bytesSent > 256 * 1024 * 1024) return void res.end();
          if (!res.write(Buffer.alloc(64 * 1024, 32))) return void res.once('drain', more);
        }
      };
      more();
    };
    const where = { address: '' };
    const { client, address } = await fakeRegistry(t, (req, res) => {
      if (req.url?.startsWith('/token')) return endless(res, 200);
      if (req.url?.includes('/locked/')) return void res.writeHead(401, { 'Www-Authenticate': `Bearer realm="http://${where.address}/token",service="x"` }).end();
      if (req.url?.includes('/announced/')) {
        res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json', 'Content-Length': String(1024 ** 3) });
        return void res.flushHeaders();
      }
      endless(res, 404);
    });
    where.address = address;

    const missing = await client.getManifest(mustParseImageRef(`${address}/base/missing:1`));
    assert.ok(!missing.ok, JSON.stringify(missing));
    assert.equal(missing.kind, 'not-found', JSON.stringify(missing));
    assert.ok(bytesSent < 16 * 1024 * 1024, `the client let the server send ${bytesSent} bytes of a 404`);

    bytesSent = 0;
    const token = await client.headManifest(mustParseImageRef(`${address}/locked/app:1`));
    assert.ok(!token.ok, JSON.stringify(token));
    assert.equal(token.kind, 'protocol', JSON.stringify(token));
    assert.ok(token.message.startsWith(`${address}: token server `), token.message);
    assert.match(token.message, /more than 256 KiB/);
    assert.ok(bytesSent < 16 * 1024 * 1024, `the client let the token server send ${bytesSent} bytes`);

    // Another name for the same server, so the challenge remembered for the first one is not used.
    const other = address.replace('127.0.0.1', 'localhost');
    const started = Date.now();
    const announced = await client.getManifest(mustParseImageRef(`${other}/announced/app:1`));
    assert.ok(!announced.ok, JSON.stringify(announced));
    assert.equal(announced.kind, 'protocol', JSON.stringify(announced));
    assert.match(announced.message, new RegExp(`^${other}: http://${other} sent more than 4 MiB for announced/app:1`));
    assert.ok(Date.now() - started < 900, 'refused on its Content-Length, not after waiting for the body');
  });

  it('answers protocol for a 401 without a usable challenge, and does not loop', async (t) => {
    const { seen, client, ref } = await fakeRegistry(t, (_req, res) => res.writeHead(401, { 'Www-Authenticate': 'Negotiate' }).end());
    const head = await client.headManifest(ref);
    assert.ok(!head.ok, JSON.stringify(head));
    assert.equal(head.kind, 'protocol', JSON.stringify(head));
    assert.equal(seen.length, 1);
  });

  it('retries a 401 once with fresh auth, never more', async (t) => {
    const credentials = async () => ({ credential: { username: 'u', secret: 'pw-never-shown', identityToken: false }, source: 'test', problem: null });
    const { seen, client, ref } = await fakeRegistry(t, (_req, res) => res.writeHead(401, { 'Www-Authenticate': 'Basic realm="x"' }).end(), { credentials });
    const head = await client.headManifest(ref);
    assert.ok(!head.ok, JSON.stringify(head));
    assert.equal(head.kind, 'unauthorized', JSON.stringify(head));
    assert.ok(!head.message.includes('pw-never-shown'), JSON.stringify(head));
    assert.equal(seen.length, 2);
  });
});

describe('where credentials may go', () => {
  /** This machine's first non-loopback IPv4 address: a name that is not loopback, served here. */
  function outsideAddress(): string | null {
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
    }
    return null;
  }

  it('sends them to an http token realm on loopback, never to one on another host', async (t) => {
    const host = outsideAddress();
    if (host === null) return t.skip('this machine has no non-loopback IPv4 address');
    const credentials = async () => ({ credential: { username: 'u', secret: 'pw-never-sent', identityToken: false }, source: 'test', problem: null });
    // The token server listens everywhere; the registry names it by loopback or by the outside address.
    const tokenAsks: Array<{ host: string; authorization: string | undefined }> = [];
    const tokenServer = createServer((req, res) => {
      tokenAsks.push({ host: req.headers.host ?? '', authorization: req.headers.authorization });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'anonymous-token' }));
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '0.0.0.0', resolve));
    t.after(() => new Promise<void>((resolve) => tokenServer.close(() => resolve())));
    const port = (tokenServer.address() as AddressInfo).port;
    const { client, address } = await fakeRegistry(
      t,
      (req, res) => {
        const realmHost = req.url?.includes('/outside/') ? `${host}:${port}` : `127.0.0.1:${port}`;
        if (req.headers.authorization === 'Bearer anonymous-token') return void res.writeHead(404).end();
        res.writeHead(401, { 'Www-Authenticate': `Bearer realm="http://${realmHost}/token",service="x"` }).end();
      },
      { credentials },
    );

    await client.headManifest(mustParseImageRef(`${address}/loopback/app:1`));
    const loopback = tokenAsks.filter((ask) => ask.host.startsWith('127.0.0.1'));
    assert.ok(loopback.length > 0, JSON.stringify(tokenAsks));
    assert.ok(loopback.every((ask) => ask.authorization?.startsWith('Basic ')), `a loopback realm gets the credentials: ${JSON.stringify(loopback)}`);

    // Another name for the same server, so the challenge remembered for the first one is not used.
    await client.headManifest(mustParseImageRef(`${address.replace('127.0.0.1', 'localhost')}/outside/app:1`));
    const outside = tokenAsks.filter((ask) => ask.host.startsWith(host));
    assert.ok(outside.length > 0, `the realm on ${host} was asked for a token: ${JSON.stringify(tokenAsks)}`);
    assert.deepEqual(outside.map((ask) => ask.authorization), outside.map(() => undefined), `an http realm on ${host} got credentials`);
  });
});
