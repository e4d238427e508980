import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createHttpTransport } from './http-transport.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

/** A loopback server answering with `handle`, recording what it was asked. */
async function serve(host: string, handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ origin: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host}:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('createHttpTransport', () => {
  it('answers a GET with its status, headers (any case) and body', async () => {
    const server = await serve('127.0.0.1', (_req, res) => res.writeHead(200, { 'Docker-Content-Digest': 'sha256:abc' }).end('hello'));
    const transport = createHttpTransport({ timeoutMs: 10_000 });
    try {
      const result = await transport.send({ method: 'GET', url: `${server.origin}/v2/`, headers: {}, verifyTls: true, maxBodyBytes: 1024 });
      assert.ok(result.ok);
      assert.equal(result.response.status, 200);
      assert.equal(result.response.headers.get('docker-content-digest'), 'sha256:abc');
      assert.equal(result.response.headers.get('Docker-Content-Digest'), 'sha256:abc');
      assert.equal(result.response.headers.get('link'), null);
      assert.equal(result.response.body.toString(), 'hello');
    } finally {
      await transport.close();
      await server.close();
    }
  });

  it('follows a redirect to storage on another origin without the Authorization header, and keeps it on the same origin', async () => {
    const storage = await serve('127.0.0.1', (_req, res) => res.end('blob'));
    const registry = await serve('127.0.0.1', (req, res) => {
      if (req.url === '/v2/a/blobs/one') res.writeHead(307, { Location: '/v2/a/blobs/two' }).end();
      else if (req.url === '/v2/a/blobs/two') res.writeHead(302, { Location: `${storage.origin}/bucket/two?sig=1` }).end();
      else res.writeHead(404).end();
    });
    const transport = createHttpTransport({ timeoutMs: 10_000 });
    try {
      const result = await transport.send({ method: 'GET', url: `${registry.origin}/v2/a/blobs/one`, headers: { Authorization: 'Bearer secret' }, verifyTls: true, maxBodyBytes: 1024 });
      assert.ok(result.ok);
      assert.equal(result.response.status, 200);
      assert.equal(result.response.body.toString(), 'blob');
      assert.deepEqual(registry.seen.map((s) => [s.url, s.authorization]), [['/v2/a/blobs/one', 'Bearer secret'], ['/v2/a/blobs/two', 'Bearer secret']]);
      assert.deepEqual(storage.seen.map((s) => [s.method, s.url, s.authorization]), [['GET', '/bucket/two?sig=1', undefined]]);
    } finally {
      await transport.close();
      await registry.close();
      await storage.close();
    }
  });

  it('stops reading a body past its bound, and keeps only the start of an error body', async () => {
    const server = await serve('127.0.0.1', (req, res) => {
      // Chunked, no length announced: the bound must hold while the body streams.
      res.writeHead(req.url === '/big' ? 200 : 404);
      res.write(Buffer.alloc(4096, 'x'));
      res.write(Buffer.alloc(4096, 'y'));
      res.end();
    });
    const transport = createHttpTransport({ timeoutMs: 10_000 });
    try {
      const big = await transport.send({ method: 'GET', url: `${server.origin}/big`, headers: {}, verifyTls: true, maxBodyBytes: 1024 });
      assert.deepEqual(big, { ok: false, error: { kind: 'too-large', detail: 'more than 1 KiB', code: null } });
      const missing = await transport.send({ method: 'GET', url: `${server.origin}/missing`, headers: {}, verifyTls: true, maxBodyBytes: 1024 });
      assert.ok(missing.ok);
      assert.equal(missing.response.status, 404);
      assert.equal(missing.response.body.length, 1024);
    } finally {
      await transport.close();
      await server.close();
    }
  });

  it('answers a timeout for a server that never answers', async () => {
    const server = await serve('127.0.0.1', () => {});
    const transport = createHttpTransport({ timeoutMs: 300 });
    try {
      const result = await transport.send({ method: 'HEAD', url: `${server.origin}/v2/`, headers: {}, verifyTls: true, maxBodyBytes: 1024 });
      assert.deepEqual(result, { ok: false, error: { kind: 'timeout', detail: 'no complete answer within 0.3 s', code: null } });
    } finally {
      await transport.close();
      await server.close();
    }
  });

  it('closes a transport that never sent anything', async () => {
    await createHttpTransport({ timeoutMs: 1000 }).close();
  });
});
