import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createHttpTransport } from './http-transport.js';

const require = createRequire(import.meta.url);
const undiciLoaded = (): boolean => Object.keys(require.cache).some((file) => file.includes('/node_modules/undici/'));

describe('createHttpTransport', () => {
  it('loads undici on the first request, not before: a run that asks no registry does not pay for it', async () => {
    const server = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const transport = createHttpTransport({ timeoutMs: 10_000 });
    try {
      assert.equal(undiciLoaded(), false);
      const { port } = server.address() as AddressInfo;
      const result = await transport.send({ method: 'GET', url: `http://127.0.0.1:${port}/v2/`, headers: {}, verifyTls: true, maxBodyBytes: 1024 });
      assert.ok(result.ok);
      assert.equal(result.response.status, 200);
      assert.equal(result.response.body.toString(), 'hello');
      assert.equal(undiciLoaded(), true);
    } finally {
      await transport.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('closes a transport that never sent anything', async () => {
    await createHttpTransport({ timeoutMs: 1000 }).close();
  });
});
