import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectEngine, EngineUnreachableError } from './connect.js';
import type { EngineEndpoint } from './endpoint.js';

const dir = mkdtempSync(path.join(tmpdir(), 'basewatch-connect-'));
const servers: http.Server[] = [];
const seenPaths: string[] = [];

/** A fake engine on a unix socket: /_ping answers OK with the given Api-Version. */
function fakeEngine(socket: string, apiVersion: string, handler?: http.RequestListener): Promise<http.Server> {
  const server = http.createServer(
    handler ??
      ((req, res) => {
        seenPaths.push(`${socket}:${req.url ?? ''}`);
        if (req.url?.endsWith('/_ping')) {
          res.writeHead(200, { 'Api-Version': apiVersion, 'Content-Type': 'text/plain' }).end('OK');
        } else if (req.url?.includes('/images/json')) {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]');
        } else {
          res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"page not found"}');
        }
      }),
  );
  servers.push(server);
  return new Promise((resolve) => server.listen(socket, () => resolve(server)));
}

const unix = (name: string, source = `test ${name}`): EngineEndpoint => ({ host: `unix://${path.join(dir, name)}`, source, tls: null });

before(async () => {
  await fakeEngine(path.join(dir, 'engine.sock'), '1.41');
  await fakeEngine(path.join(dir, 'new-engine.sock'), '1.52');
  await fakeEngine(path.join(dir, 'web.sock'), '', (_req, res) => void res.writeHead(404).end('not here'));
  await fakeEngine(path.join(dir, 'silent.sock'), '', () => undefined);
  // A socket file nobody listens on: node removes its own socket on close, a hard link survives.
  const gone = await fakeEngine(path.join(dir, 'stale-orig.sock'), '1.41');
  linkSync(path.join(dir, 'stale-orig.sock'), path.join(dir, 'stale.sock'));
  await new Promise((resolve) => gone.close(resolve));
});

after(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('connectEngine', () => {
  it('skips candidates that fail and returns the first that answers', async () => {
    const client = await connectEngine({ candidates: [unix('missing.sock'), unix('stale.sock'), unix('engine.sock'), unix('new-engine.sock')] });
    assert.equal(client.endpoint.host, `unix://${path.join(dir, 'engine.sock')}`);
  });

  it('uses the version the engine speaks when it is older than ours', async () => {
    const client = await connectEngine({ candidates: [unix('engine.sock')] });
    await client.listImages();
    assert.ok(seenPaths.includes(`${path.join(dir, 'engine.sock')}:/v1.41/images/json`), seenPaths.join('\n'));
  });

  it('caps the version at ours when the engine is newer', async () => {
    const client = await connectEngine({ candidates: [unix('new-engine.sock')] });
    await client.listImages();
    assert.ok(seenPaths.includes(`${path.join(dir, 'new-engine.sock')}:/v1.47/images/json`), seenPaths.join('\n'));
  });

  it('finds the engine through DOCKER_HOST', async () => {
    const socket = path.join(dir, 'engine.sock');
    const client = await connectEngine({ env: { DOCKER_HOST: `unix://${socket}` }, homedir: dir });
    assert.deepEqual(client.endpoint, { host: `unix://${socket}`, source: 'DOCKER_HOST', tls: null });
  });

  it('lists every host, its source and an actionable reason when none answers', async () => {
    const error = await connectEngine({
      candidates: [unix('missing.sock', 'default socket'), unix('stale.sock', 'known socket (Colima)'), unix('web.sock'), unix('silent.sock')],
      pingTimeoutMs: 300,
    }).then(
      () => assert.fail('connected'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineUnreachableError);
    assert.deepEqual(
      error.attempts.map((a) => [path.basename(a.host), a.source, a.reason]),
      [
        ['missing.sock', 'default socket', 'no such socket'],
        ['stale.sock', 'known socket (Colima)', 'nothing listening (the socket file exists, but no engine is serving it)'],
        ['web.sock', 'test web.sock', 'answered 404 to /_ping: not a Docker engine API'],
        ['silent.sock', 'test silent.sock', 'timed out (no answer within 300 ms)'],
      ],
    );
    assert.match(error.message, /^Cannot reach a Docker engine\.\nTried:\n {2}unix:\/\/.*missing\.sock \(default socket\): no such socket\n/);
  });

  it('does not fall back from an explicit DOCKER_HOST', async () => {
    const socket = path.join(dir, 'missing.sock');
    const error = await connectEngine({ env: { DOCKER_HOST: `unix://${socket}` }, homedir: dir }).catch((e: unknown) => e);
    assert.ok(error instanceof EngineUnreachableError);
    assert.equal(error.attempts.length, 1);
    assert.match(error.message, /missing\.sock \(DOCKER_HOST\): no such socket\n.*no other was tried/);
  });

  it('names the broken context instead of trying anything', async () => {
    const error = await connectEngine({ env: { DOCKER_CONTEXT: 'colima' }, homedir: dir, readFile: () => null }).catch((e: unknown) => e);
    assert.ok(error instanceof EngineUnreachableError);
    assert.deepEqual(error.attempts, []);
    assert.match(error.message, /Could not use the configured engine:\n {2}context "colima" \(DOCKER_CONTEXT\): .*meta\.json is missing or unreadable/);
  });

  it('gives a permission hint for EACCES', async () => {
    // Root can open any socket, so the errno is simulated through the classifier path.
    const { classifyEngineFailure } = await import('./engine-error.js');
    const { describeFailure } = await import('./connect.js');
    const { EngineError } = await import('./engine-error.js');
    const endpoint = unix('engine.sock');
    const failure = classifyEngineFailure(Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' }));
    const reason = describeFailure(new EngineError({ endpoint, operation: 'ping', ...failure }), endpoint);
    assert.equal(reason, 'permission denied: add your user to the docker group or use rootless Docker');
  });
});
