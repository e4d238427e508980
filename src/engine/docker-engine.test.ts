import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEngineClient, EngineError, modemOptions, negotiateApiVersion } from './docker-engine.js';
import type { EngineEndpoint } from './endpoint.js';

const noFiles = { ca: null, cert: null, key: null };
const at = (host: string, tls: EngineEndpoint['tls'] = null): EngineEndpoint => ({ host, source: 'test', tls });

describe('negotiateApiVersion', () => {
  const table: Array<[string | null, string | null]> = [
    ['1.41', '1.41'], // Engine 20.10, Podman 4
    ['1.24', '1.24'],
    ['1.47', '1.47'],
    ['1.52', '1.47'], // Engine 29: ours is the ceiling, and still >= its minimum 1.44
    [null, null],
    ['garbage', null],
  ];
  for (const [engine, expected] of table) it(`${engine} -> ${expected}`, () => assert.equal(negotiateApiVersion(engine), expected));
});

describe('modemOptions', () => {
  it('unix and npipe use socketPath and clear what DOCKER_HOST could have set', () => {
    assert.deepEqual(modemOptions(at('unix:///run/x.sock'), noFiles), {
      socketPath: '/run/x.sock', host: undefined, port: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined,
    });
    assert.equal(modemOptions(at('npipe:////./pipe/docker_engine'), noFiles).socketPath, '//./pipe/docker_engine');
  });

  it('tcp is http without TLS, https with the files', () => {
    const plain = modemOptions(at('tcp://10.0.0.1:2375'), noFiles);
    assert.deepEqual([plain.host, plain.port, plain.protocol, plain.socketPath], ['10.0.0.1', 2375, 'http', undefined]);
    const files = { ca: Buffer.from('CA'), cert: Buffer.from('C'), key: Buffer.from('K') };
    const tls = modemOptions(at('tcp://10.0.0.1:2376', { caFile: '/c', certFile: '/ce', keyFile: '/k', verify: true }), files);
    assert.deepEqual([tls.protocol, tls.ca, tls.cert, tls.key], ['https', files.ca, files.cert, files.key]);
  });

  it('ssh goes through the agent', () => {
    const ssh = modemOptions(at('ssh://me@box:2222'), noFiles, { SSH_AUTH_SOCK: '/tmp/agent' });
    assert.deepEqual([ssh.protocol, ssh.host, ssh.port, ssh.username, ssh.sshOptions], ['ssh', 'box', 2222, 'me', { agent: '/tmp/agent' }]);
  });
});

// The same fake engine on a unix socket (reads over node:http, no dockerode) and on tcp (reads
// through dockerode): a check must see the same answers and the same failures either way.
for (const transport of ['unix', 'tcp'] as const) {
  describe(`EngineClient against a fake engine (${transport})`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'basewatch-engine-'));
    const socket = path.join(dir, 'fake.sock');
    let host = `unix://${socket}`;
    const asked: string[] = [];
    const routes: Record<string, [number, string]> = {
      '/v1.41/images/json': [200, JSON.stringify([
        { Id: 'sha256:a', RepoTags: ['<none>:<none>'], RepoDigests: ['base@sha256:1'], Created: 1 },
        { Id: 'sha256:b', RepoTags: null, RepoDigests: null, Created: 2 },
      ])],
      '/v1.41/version': [200, JSON.stringify({ Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64' })],
      '/v1.41/info': [200, JSON.stringify({ Name: 'fake', Driver: 'overlay2' })],
      '/v1.41/images/gone/json': [404, '{"message":"No such image: gone"}'],
      '/v1.41/images/broken/json': [200, '{"Id": 5}'],
      '/v1.41/images/boom/json': [500, '{"message":"layer store exploded"}'],
    };
    const server = http.createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.url === '/_ping') return void res.writeHead(200, { 'Api-Version': '1.41' }).end('OK');
      const [status, body] = routes[req.url ?? ''] ?? [404, '{"message":"page not found"}'];
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
    });
    before(
      () =>
        new Promise<void>((resolve) => {
          if (transport === 'unix') return void server.listen(socket, resolve);
          server.listen(0, '127.0.0.1', () => {
            host = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
            resolve();
          });
        }),
    );
    after(() => {
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const client = () => createEngineClient(at(host), { timeoutMs: 2000 });

    it('pings, then asks in the version the engine named', async () => {
      asked.length = 0;
      await client().listImages();
      // version and info (which image store) go together; the list after them.
      assert.deepEqual([asked[0], asked.slice(1, 3).sort(), asked[3], asked.length], ['/_ping', ['/v1.41/info', '/v1.41/version'], '/v1.41/images/json', 4]);
    });

    it('asks /info and /version once when info comes before the list (a check)', async () => {
      const engine = client();
      await engine.info();
      asked.length = 0;
      await engine.listImages();
      assert.deepEqual(asked, ['/v1.41/images/json']);
    });

    it('keeps dangling images and drops the <none> placeholders', async () => {
      assert.deepEqual(await client().listImages(), [
        { id: 'sha256:a', repoTags: [], repoDigests: ['base@sha256:1'], created: 1 },
        { id: 'sha256:b', repoTags: [], repoDigests: [], created: 2 },
      ]);
    });

    it('answers null for an image the engine does not have', async () => {
      assert.equal(await client().inspectImage('gone'), null);
    });

    it('names endpoint and operation in other failures', async () => {
      await assert.rejects(client().inspectImage('boom'), (error: unknown) => {
        assert.ok(error instanceof EngineError);
        assert.equal(error.failure, 'http');
        assert.equal(error.statusCode, 500);
        assert.equal(error.message, `inspect image boom on ${host} (test) failed: HTTP 500: layer store exploded`);
        return true;
      });
      await assert.rejects(client().inspectImage('broken'), /inspect image broken on .* failed: unexpected answer from the engine \(Id: /);
    });

    it('says so when what answers is not a Docker engine', async () => {
      const other = http.createServer((_req, res) => res.end('hello'));
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      const otherSocket = path.join(dir, 'other.sock');
      const unixOther = http.createServer((_req, res) => res.end('hello'));
      await new Promise<void>((resolve) => unixOther.listen(otherSocket, resolve));
      try {
        const where = transport === 'unix' ? `unix://${otherSocket}` : `tcp://127.0.0.1:${(other.address() as { port: number }).port}`;
        await assert.rejects(createEngineClient(at(where), { timeoutMs: 2000 }).ping(), (error: unknown) => {
          assert.ok(error instanceof EngineError);
          assert.equal(error.failure, 'not-docker');
          return true;
        });
      } finally {
        other.close();
        unixOther.close();
      }
    });
  });
}
