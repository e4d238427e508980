/**
 * Against a real engine: BASEWATCH_TEST_DOCKER_HOST names it (the test runner sets it when it
 * provisions one). Unset: skipped locally, a failure under CI=true.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createEngineClient } from './docker-engine.js';
import type { EngineClient } from './docker-engine.js';
import { parseEngineHost } from './endpoint.js';

const host = process.env['BASEWATCH_TEST_DOCKER_HOST'];
const ci = process.env['CI'] === 'true';
const skip = host === undefined && !ci ? 'BASEWATCH_TEST_DOCKER_HOST is not set' : false;
const repo = `basewatch-engine-test-${process.pid}`;

/** One-file tar, enough for `docker import`. */
function tarWith(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const header = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => header.write(text, offset, length, 'ascii');
  put(name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 12);
  put('00000000000\0', 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0' + '00', 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
}

/** Raw API call for setup and cleanup, which the client deliberately does not offer. */
function api(method: string, path: string, body?: Buffer): Promise<{ status: number; text: string }> {
  const parsed = parseEngineHost(host ?? '');
  if (!parsed.ok || parsed.host.kind !== 'unix') throw new Error(`tests need a unix socket in BASEWATCH_TEST_DOCKER_HOST, got ${host}`);
  const socketPath = parsed.host.path;
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, headers: body ? { 'Content-Type': 'application/x-tar' } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('EngineClient against the real engine', { skip }, () => {
  let client: EngineClient;
  let imageId = '';

  before(async () => {
    assert.ok(host !== undefined, 'CI=true but BASEWATCH_TEST_DOCKER_HOST is not set');
    client = createEngineClient({ host, source: 'BASEWATCH_TEST_DOCKER_HOST', tls: null });
    const changes = encodeURIComponent('LABEL org.opencontainers.image.base.name=scratch');
    const created = await api('POST', `/images/create?fromSrc=-&repo=${repo}&tag=1&changes=${changes}`, tarWith('hello.txt', 'hi\n'));
    assert.equal(created.status, 200, created.text);
    const match = /sha256:[0-9a-f]{64}/.exec(created.text);
    assert.ok(match, created.text);
    imageId = match[0];
  });

  after(async () => {
    if (imageId !== '') await api('DELETE', `/images/${imageId}?force=1`);
  });

  it('pings and negotiates a version the engine accepts', async () => {
    const ping = await client.ping();
    assert.match(ping.apiVersion ?? '', /^1\.\d+$/);
    const info = await client.info();
    assert.equal(info.apiVersion, ping.apiVersion);
    assert.equal(info.os, 'linux');
    assert.equal(typeof info.containerdSnapshotter, 'boolean');
  });

  it('lists and inspects an imported image', async () => {
    const listed = (await client.listImages()).find((i) => i.id === imageId);
    assert.deepEqual(listed?.repoTags, [`${repo}:1`]);
    const details = await client.inspectImage(`${repo}:1`);
    assert.ok(details);
    assert.equal(details.id, imageId);
    assert.equal(details.diffIds.length, 1);
    assert.deepEqual(details.labels, { 'org.opencontainers.image.base.name': 'scratch' });
    assert.equal(details.parent, null);
    assert.equal(await client.inspectImage(`${repo}:nope`), null);
  });

  it('reads the history oldest first with its layer', async () => {
    const history = await client.imageHistory(imageId);
    assert.equal(history.length, 1);
    assert.deepEqual([history[0]?.id, history[0]?.emptyLayer, history[0]?.emptyLayerBasis], [imageId, false, 'exact']);
  });

  it('lists the same steps without the layer reckoning (imageSteps)', async () => {
    const history = await client.imageHistory(imageId);
    const steps = await client.imageSteps(imageId);
    assert.deepEqual(
      steps,
      history.map(({ id, createdBy, created, size }) => ({ id, createdBy, created, size })),
    );
  });
});
