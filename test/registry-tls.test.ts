// TLS: a docker-registry serving a certificate from a test CA on 127.0.0.1. Loopback registries
// are plain HTTP by default, as in Docker; these clients turn that off (loopbackPlainHttp: false)
// so the TLS paths are really taken without talking to any address but loopback.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { mustParseImageRef } from '../src/refs/image-ref.js';
import { createRegistryClient } from '../src/registry/registry-client.js';
import { RegistryConfigError } from '../src/registry/registry-failure.js';
import { pushImage } from './registry-content.js';
import { makeTlsFiles, registrySkipReason, startRegistry, tempDir } from './registry-harness.js';

const ip = '127.0.0.1';
const skip = registrySkipReason();
const tls = { loopbackPlainHttp: false } as const;

async function tlsRegistry(t: TestContext) {
  const files = makeTlsFiles(tempDir(t), ip);
  const registry = await startRegistry(t, { host: ip, tls: { certFile: files.certFile, keyFile: files.keyFile } });
  const pushed = await pushImage({ url: registry.url, ca: readFileSync(files.caFile, 'utf8') }, 'secure/base', '1');
  return { files, registry, pushed, ref: mustParseImageRef(`${registry.address}/secure/base:1`) };
}

describe('TLS registries', { skip }, () => {
  it('verifies the registry with a CA from caFiles', async (t) => {
    const { files, pushed, ref } = await tlsRegistry(t);
    const client = createRegistryClient({ ...tls, caFiles: [files.caFile] });
    t.after(() => client.close());
    const head = await client.headManifest(ref);
    assert.deepEqual(head, { ok: true, digest: pushed.digest, mediaType: pushed.mediaType, size: pushed.size });
  });

  it('fails with a clear tls failure when the CA is unknown', async (t) => {
    const { registry, ref } = await tlsRegistry(t);
    const client = createRegistryClient(tls);
    t.after(() => client.close());
    const head = await client.headManifest(ref);
    assert.ok(!head.ok, JSON.stringify(head));
    assert.equal(head.kind, 'tls');
    assert.equal(
      head.message,
      `${registry.address}: TLS error talking to https://${registry.address}: certificate signed by an unknown authority; if it uses a private CA add the CA file to caFiles, or list ${registry.address} in insecureRegistries`,
    );
  });

  it('speaks https without verification to an insecure registry', async (t) => {
    const { registry, pushed, ref } = await tlsRegistry(t);
    const client = createRegistryClient({ ...tls, insecureRegistries: [registry.address] });
    t.after(() => client.close());
    const head = await client.headManifest(ref);
    assert.ok(head.ok, JSON.stringify(head));
    assert.equal(head.digest, pushed.digest, JSON.stringify(head));
  });

  it('falls back to plain http for an insecure registry without TLS', async (t) => {
    const registry = await startRegistry(t, { host: ip });
    const pushed = await pushImage({ url: registry.url }, 'plain/base', '1');
    const ref = mustParseImageRef(`${registry.address}/plain/base:1`);

    const strict = createRegistryClient(tls);
    t.after(() => strict.close());
    const refused = await strict.headManifest(ref);
    assert.ok(!refused.ok, JSON.stringify(refused));
    assert.equal(refused.kind, 'tls', JSON.stringify(refused));

    const client = createRegistryClient({ ...tls, insecureRegistries: [`${ip}/32`] });
    t.after(() => client.close());
    const head = await client.headManifest(ref);
    assert.ok(head.ok, JSON.stringify(head));
    assert.equal(head.digest, pushed.digest, JSON.stringify(head));
    const got = await client.getManifest(ref);
    assert.ok(got.ok, JSON.stringify(got));
    assert.equal(got.digest, pushed.digest);
  });

  it('throws a configuration error naming an unreadable CA file', () => {
    let thrown: unknown = null;
    try {
      createRegistryClient({ caFiles: ['/nonexistent/ca.pem'] });
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof RegistryConfigError, `got ${String(thrown)}`);
    assert.equal(thrown.setting, 'caFiles');
    assert.match(thrown.message, /cannot read the CA file \/nonexistent\/ca\.pem \(ENOENT\)/);
  });
});
