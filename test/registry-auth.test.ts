// Credentials and auth against real docker-registry processes: htpasswd (Basic) and token auth.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { mustParseImageRef } from '../src/refs/image-ref.js';
import { dockerCredentials } from '../src/registry/credentials.js';
import { createRegistryClient } from '../src/registry/registry-client.js';
import { resolvePlatformManifest } from '../src/registry/resolve-upstream.js';
import { pushImage, pushMultiArch } from './registry-content.js';
import { makeSigningKey, registrySkipReason, signRegistryToken, startRegistry, startTokenServer, tempDir } from './registry-harness.js';

const skip = registrySkipReason();
const PASSWORD = 'hunter2-Zq9!';
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A DOCKER_CONFIG dir with this config.json, and an env whose PATH holds only a test bin dir. */
function dockerConfig(t: TestContext, config: object): { env: NodeJS.ProcessEnv; binDir: string } {
  const dir = tempDir(t, 'basewatch-docker-config-');
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return { env: { DOCKER_CONFIG: dir, HOME: dir, PATH: `${binDir}:/bin:/usr/bin` }, binDir };
}

function credentialsFor(t: TestContext, config: object) {
  const { env } = dockerConfig(t, config);
  return dockerCredentials({ env, helperDirs: [] });
}

function assertNoSecret(value: unknown, ...secrets: string[]): void {
  const text = JSON.stringify(value);
  for (const secret of secrets) assert.ok(!text.includes(secret), `secret leaked in ${text}`);
}

describe('htpasswd (Basic) registry', { skip }, () => {
  async function setup(t: TestContext) {
    const registry = await startRegistry(t, { auth: { kind: 'htpasswd', users: { alice: PASSWORD } } });
    const pushed = await pushImage({ url: registry.url, headers: () => ({ Authorization: `Basic ${b64(`alice:${PASSWORD}`)}` }) }, 'private/base', '1');
    return { registry, pushed, ref: mustParseImageRef(`${registry.address}/private/base:1`) };
  }

  it('uses auths credentials from $DOCKER_CONFIG/config.json', async (t) => {
    const { registry, pushed, ref } = await setup(t);
    const client = createRegistryClient({ credentials: credentialsFor(t, { auths: { [`http://${registry.address}`]: { auth: b64(`alice:${PASSWORD}`) } } }) });
    t.after(() => client.close());
    const head = await client.headManifest(ref);
    assert.deepEqual(head, { ok: true, digest: pushed.digest, mediaType: pushed.mediaType, size: pushed.size });
    const got = await client.getManifest(ref);
    assert.ok(got.ok, JSON.stringify(got));
    assert.equal(got.digest, pushed.digest);
  });

  it('uses a credential helper found on PATH', async (t) => {
    const { registry, pushed, ref } = await setup(t);
    const { env, binDir } = dockerConfig(t, { credHelpers: { [registry.address]: 'test' } });
    const helper = join(binDir, 'docker-credential-test');
    writeFileSync(helper, `#!/bin/sh\nread server\n[ "$server" = "${registry.address}" ] || exit 1\nprintf '{"ServerURL":"%s","Username":"alice","Secret":"${PASSWORD}"}' "$server"\n`);
    chmodSync(helper, 0o755);
    const client = createRegistryClient({ credentials: dockerCredentials({ env, helperDirs: [] }) });
    t.after(() => client.close());
    const head = await client.headManifest(ref);
    assert.ok(head.ok, JSON.stringify(head));
    assert.equal(head.digest, pushed.digest, JSON.stringify(head));
  });

  it('fails clearly without credentials', async (t) => {
    const { registry, ref } = await setup(t);
    const client = createRegistryClient({ credentials: credentialsFor(t, { auths: {} }) });
    t.after(() => client.close());
    const head = await client.headManifest(ref);
    assert.ok(!head.ok);
    assert.equal(head.kind, 'unauthorized');
    assert.match(head.message, new RegExp(`^${registry.address}: 401 unauthorized .*no credentials found for this registry .*run \`docker login ${registry.address}\`$`));
  });

  it('fails clearly with a wrong password, never showing it', async (t) => {
    const { registry, ref } = await setup(t);
    const wrong = 'not-the-password-123';
    const client = createRegistryClient({ credentials: credentialsFor(t, { auths: { [registry.address]: { auth: b64(`alice:${wrong}`) } } }) });
    t.after(() => client.close());
    const head = await client.headManifest(ref);
    assert.ok(!head.ok, JSON.stringify(head));
    assert.equal(head.kind, 'unauthorized', JSON.stringify(head));
    assert.match(head.message, /rejected the credentials from auths in .*config\.json \(user "alice"\); run `docker login 127\.0\.0\.1:\d+` again$/);
    assertNoSecret(head, wrong, b64(`alice:${wrong}`));
  });
});

describe('token-auth registry', { skip }, () => {
  const issuer = 'basewatch-test-issuer';
  const service = 'basewatch-test-registry';

  async function setup(t: TestContext, options: { expiresIn?: number } = {}) {
    const signing = makeSigningKey(tempDir(t));
    const tokens = await startTokenServer(t, { signing, issuer, service, users: { bob: PASSWORD }, refreshTokens: { 'refresh-abc': 'bob' }, ...options });
    const registry = await startRegistry(t, { auth: { kind: 'token', realm: tokens.realm, service, issuer, certFile: signing.certFile } });
    const pusher = {
      url: registry.url,
      headers: (repository: string) => ({ Authorization: `Bearer ${signRegistryToken(signing, { issuer, service, subject: 'bob', repository, actions: ['pull', 'push'] })}` }),
    };
    return { registry, tokens, pusher };
  }

  it('gets a bearer token with Basic credentials and caches it per repository', async (t) => {
    const { registry, tokens, pusher } = await setup(t);
    const multi = await pushMultiArch(pusher, 'team/base', '1', { amd64: 'a', arm64: 'b', armv7: 'c' });
    const other = await pushImage(pusher, 'team/other', '1');
    const client = createRegistryClient({ credentials: credentialsFor(t, { auths: { [registry.address]: { username: 'bob', password: PASSWORD } } }) });
    t.after(() => client.close());

    const ref = mustParseImageRef(`${registry.address}/team/base:1`);
    const resolved = await resolvePlatformManifest(client, ref, { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.ok(resolved.ok, JSON.stringify(resolved));
    assert.ok(!resolved.unchanged, JSON.stringify(resolved));
    assert.equal(resolved.platformDigest, multi.arm64.digest, JSON.stringify(resolved));
    await resolvePlatformManifest(client, ref, { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(tokens.requests, [{ method: 'GET', grant: 'password', scope: 'repository:team/base:pull' }]);

    const head = await client.headManifest(mustParseImageRef(`${registry.address}/team/other:1`));
    assert.ok(head.ok, JSON.stringify(head));
    assert.equal(head.digest, other.digest);
    assert.equal(tokens.requests.length, 2);
    assert.equal(tokens.requests[1]?.scope, 'repository:team/other:pull');
  });

  it('shares one token request among concurrent calls', async (t) => {
    const { registry, tokens, pusher } = await setup(t);
    for (const tag of ['1', '2', '3', '4']) await pushImage(pusher, 'team/base', tag);
    const client = createRegistryClient({ credentials: credentialsFor(t, { auths: { [registry.address]: { username: 'bob', password: PASSWORD } } }) });
    t.after(() => client.close());
    const results = await Promise.all(['1', '2', '3', '4'].map((tag) => client.headManifest(mustParseImageRef(`${registry.address}/team/base:${tag}`))));
    assert.ok(results.every((r) => r.ok), JSON.stringify(results));
    assert.equal(tokens.requests.length, 1);
  });

  it('asks for a new token once the old one is about to expire', async (t) => {
    const { registry, tokens, pusher } = await setup(t, { expiresIn: 2 });
    await pushImage(pusher, 'team/base', '1');
    const client = createRegistryClient({ credentials: credentialsFor(t, { auths: { [registry.address]: { username: 'bob', password: PASSWORD } } }) });
    t.after(() => client.close());
    const ref = mustParseImageRef(`${registry.address}/team/base:1`);
    assert.ok((await client.headManifest(ref)).ok);
    assert.ok((await client.headManifest(ref)).ok);
    assert.equal(tokens.requests.length, 1);
    // expires_in 2 s: refreshed 0.5 s early.
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    assert.ok((await client.headManifest(ref)).ok);
    assert.equal(tokens.requests.length, 2);
  });

  it('exchanges an identity token with grant_type=refresh_token', async (t) => {
    const { registry, tokens, pusher } = await setup(t);
    const pushed = await pushImage(pusher, 'team/base', '1');
    const client = createRegistryClient({ credentials: credentialsFor(t, { auths: { [registry.address]: { identitytoken: 'refresh-abc' } } }) });
    t.after(() => client.close());
    const head = await client.headManifest(mustParseImageRef(`${registry.address}/team/base:1`));
    assert.ok(head.ok, JSON.stringify(head));
    assert.equal(head.digest, pushed.digest, JSON.stringify(head));
    assert.deepEqual(tokens.requests, [{ method: 'POST', grant: 'refresh_token', scope: 'repository:team/base:pull' }]);
  });

  it('fails clearly when the token server rejects the credentials, never showing them', async (t) => {
    const { registry, pusher } = await setup(t);
    await pushImage(pusher, 'team/base', '1');
    const wrong = 'wrong-password-456';
    const client = createRegistryClient({ credentials: credentialsFor(t, { auths: { [registry.address]: { auth: b64(`bob:${wrong}`) } } }) });
    t.after(() => client.close());
    const head = await client.headManifest(mustParseImageRef(`${registry.address}/team/base:1`));
    assert.ok(!head.ok, JSON.stringify(head));
    assert.equal(head.kind, 'unauthorized', JSON.stringify(head));
    assert.match(head.message, new RegExp(`^${registry.address}: 401 unauthorized for token server http://127\\.0\\.0\\.1:\\d+/token \\(401 Unauthorized\\): the registry rejected the credentials`));
    assertNoSecret(head, wrong, b64(`bob:${wrong}`));

    const anonymous = createRegistryClient();
    t.after(() => anonymous.close());
    const denied = await anonymous.headManifest(mustParseImageRef(`${registry.address}/team/base:1`));
    assert.ok(!denied.ok, JSON.stringify(denied));
    assert.equal(denied.kind, 'unauthorized', JSON.stringify(denied));
    assert.match(denied.message, /anonymous access was refused and no credential source is configured$/, JSON.stringify(denied));
  });
});
