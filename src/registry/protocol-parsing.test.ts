import { realmMayCarryCredentials } from './registry-auth.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseManifest, sha256Digest } from './parse-manifest.js';
import { parseRateLimitHeaders, parseRetryAfter } from './rate-limit.js';
import { isInsecureRegistry, isLoopbackHost, resolveEndpoint } from './registry-endpoint.js';
import { classifyTransportError } from './registry-failure.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('reads a Docker Hub bearer challenge', () => {
    assert.deepEqual(
      parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"'),
      [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/python:pull' } }],
    );
  });
  it('keeps commas inside quoted values and reads escapes', () => {
    const [challenge] = parseWwwAuthenticate('Bearer realm="https://t/x", scope="repository:a/b:pull,push", error="a \\"quoted\\" word"');
    assert.equal(challenge?.params.scope, 'repository:a/b:pull,push');
    assert.equal(challenge?.params.error, 'a "quoted" word');
  });
  it('reads unquoted values and case-insensitive names', () => {
    assert.deepEqual(parseWwwAuthenticate('BASIC Realm=registry'), [{ scheme: 'basic', params: { realm: 'registry' } }]);
  });
  it('splits several challenges in one header', () => {
    const challenges = parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm="https://t/token",service="s"');
    assert.deepEqual(
      challenges.map((c) => c.scheme),
      ['basic', 'bearer'],
    );
    assert.equal(challenges[1]?.params.service, 's');
  });
  it('gives nothing for a missing or garbage header', () => {
    assert.deepEqual(parseWwwAuthenticate(null), []);
    assert.deepEqual(parseWwwAuthenticate('  '), []);
    assert.deepEqual(parseWwwAuthenticate('"'), []);
  });
});

const headers = (values: Record<string, string>) => new Headers(values);

describe('parseRateLimitHeaders', () => {
  it('reads Docker Hub headers', () => {
    assert.deepEqual(parseRateLimitHeaders(headers({ 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '76;w=21600' })), {
      limit: 100,
      remaining: 76,
      windowSeconds: 21600,
    });
  });
  it('accepts headers without a window', () => {
    assert.deepEqual(parseRateLimitHeaders(headers({ 'RateLimit-Limit': '200', 'RateLimit-Remaining': '0' })), {
      limit: 200,
      remaining: 0,
      windowSeconds: null,
    });
  });
  it('ignores absent, half-present or garbage headers', () => {
    assert.equal(parseRateLimitHeaders(headers({})), null);
    assert.equal(parseRateLimitHeaders(headers({ 'ratelimit-limit': '100;w=21600' })), null);
    assert.equal(parseRateLimitHeaders(headers({ 'ratelimit-limit': 'lots', 'ratelimit-remaining': '1' })), null);
    assert.equal(parseRateLimitHeaders(headers({ 'ratelimit-limit': ';w=5', 'ratelimit-remaining': '1' })), null);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads seconds', () => assert.equal(parseRetryAfter('120', now), 120));
  it('reads an HTTP date', () => assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30));
  it('clamps a past date to 0', () => assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0));
  it('rejects garbage and negatives', () => {
    assert.equal(parseRetryAfter(null, now), null);
    assert.equal(parseRetryAfter('soon', now), null);
    assert.equal(parseRetryAfter('-5', now), null);
    assert.equal(parseRetryAfter('1.5', now), null);
  });
});

describe('resolveEndpoint', () => {
  it('sends docker.io to registry-1.docker.io over verified https', () => {
    assert.deepEqual(resolveEndpoint('docker.io'), { registry: 'docker.io', apiHost: 'registry-1.docker.io', plans: [{ scheme: 'https', verifyTls: true }] });
  });
  it('uses plain http for loopback', () => {
    for (const host of ['localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'localhost']) {
      assert.ok(isLoopbackHost(host), host);
      assert.deepEqual(resolveEndpoint(host).plans, [{ scheme: 'http', verifyTls: false }], host);
    }
    assert.ok(!isLoopbackHost('128.0.0.1:5000'));
    assert.ok(!isLoopbackHost('localhost.corp'));
  });
  it('tries unverified https then http for insecure registries', () => {
    assert.deepEqual(resolveEndpoint('registry.corp:5000', ['registry.corp:5000']).plans, [
      { scheme: 'https', verifyTls: false },
      { scheme: 'http', verifyTls: false },
    ]);
    assert.ok(isInsecureRegistry('10.1.2.3:5000', ['10.0.0.0/8']));
    assert.ok(isInsecureRegistry('registry.corp:5000', ['http://registry.corp:5000/']));
    assert.ok(!isInsecureRegistry('registry.corp:5001', ['registry.corp:5000']));
    assert.ok(!isInsecureRegistry('11.1.2.3', ['10.0.0.0/8']));
  });
});

describe('classifyTransportError', () => {
  const fetchFailed = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause });
  it('sees refused connections behind fetch failed', () => {
    assert.equal(classifyTransportError(fetchFailed({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })).kind, 'unreachable');
  });
  it('finds codes inside AggregateError (happy eyeballs)', () => {
    const aggregate = Object.assign(new AggregateError([{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }]), {});
    assert.equal(classifyTransportError(fetchFailed(aggregate)).detail, 'connection refused');
  });
  it('reads TLS and timeout codes', () => {
    assert.equal(classifyTransportError(fetchFailed({ code: 'SELF_SIGNED_CERT_IN_CHAIN' })).kind, 'tls');
    assert.equal(classifyTransportError(fetchFailed({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' })).kind, 'tls');
    assert.equal(classifyTransportError(fetchFailed({ code: 'UND_ERR_CONNECT_TIMEOUT' })).kind, 'timeout');
  });
});

describe('parseManifest', () => {
  const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));
  const d = `sha256:${'1'.repeat(64)}`;
  it('recognises an OCI index without mediaType by its shape', () => {
    const result = parseManifest(bytes({ schemaVersion: 2, manifests: [] }), 'application/vnd.oci.image.index.v1+json');
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.kind, 'index');
  });
  it('parses a Docker v2 manifest', () => {
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: d, size: 10 },
      layers: [],
    };
    const result = parseManifest(bytes(manifest), null);
    assert.ok(result.ok, JSON.stringify(result));
    assert.ok(result.kind === 'image', `kind ${result.kind}`);
    assert.equal(result.manifest.config.digest, d);
  });
  it('refuses schema1', () => {
    const result = parseManifest(bytes({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    assert.ok(!result.ok, JSON.stringify(result));
    assert.match(result.problem, /schema1/);
  });
  it('refuses garbage', () => {
    assert.ok(!parseManifest(Buffer.from('<html>'), 'text/html').ok);
    assert.ok(!parseManifest(bytes({ schemaVersion: 2, config: {} }), null).ok);
  });
  it('hashes bytes', () => {
    assert.equal(sha256Digest(Buffer.from('')), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('realmMayCarryCredentials', () => {
  it('sends credentials to https realms, and to http ones only on loopback or an insecure registry', () => {
    const cases: Array<[string, readonly string[], boolean]> = [
      ['https://auth.docker.io/token', [], true],
      ['http://127.0.0.1:5001/token', [], true],
      ['http://localhost:5001/token', [], true],
      ['http://auth.corp.example/token', [], false],
      ['http://auth.corp.example/token', ['auth.corp.example'], true],
      ['http://10.0.0.5:5000/token', ['10.0.0.0/8'], true],
    ];
    for (const [realm, insecure, expected] of cases) assert.equal(realmMayCarryCredentials(new URL(realm), insecure), expected, realm);
  });
});
