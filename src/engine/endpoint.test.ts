import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointSearchResult } from './endpoint.js';
import { contextDirName, endpointCandidates, parseEngineHost } from './endpoint.js';

const HOME = '/home/u';

function search(env: NodeJS.ProcessEnv, files: Record<string, string> = {}, platform: NodeJS.Platform = 'linux'): EndpointSearchResult {
  return endpointCandidates({ env, homedir: HOME, platform, readFile: (p) => files[p] ?? null });
}

function meta(name: string, host: string, skipTLSVerify = false): string {
  return JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: skipTLSVerify } } });
}

const metaPath = (name: string, dir = `${HOME}/.docker`) => `${dir}/contexts/meta/${contextDirName(name)}/meta.json`;
const tlsPath = (name: string, file: string) => `${HOME}/.docker/contexts/tls/${contextDirName(name)}/docker/${file}`;

describe('contextDirName', () => {
  it('is the sha256 of the context name, as docker/cli stores it', () => {
    assert.equal(contextDirName('default'), '37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f');
  });
});

describe('endpointCandidates without configuration', () => {
  it('tries the default socket, then the desktop engines, then Podman', () => {
    const result = search({ XDG_RUNTIME_DIR: '/run/user/1000' });
    assert.equal(result.exclusive, false);
    assert.deepEqual(result.problems, []);
    assert.deepEqual(
      result.candidates.map((c) => [c.host, c.source]),
      [
        ['unix:///var/run/docker.sock', 'default socket'],
        ['unix:///home/u/.docker/run/docker.sock', 'known socket (Docker Desktop)'],
        ['unix:///home/u/.docker/desktop/docker.sock', 'known socket (Docker Desktop)'],
        ['unix:///home/u/.colima/default/docker.sock', 'known socket (Colima)'],
        ['unix:///home/u/.colima/docker.sock', 'known socket (Colima)'],
        ['unix:///home/u/.orbstack/run/docker.sock', 'known socket (OrbStack)'],
        ['unix:///home/u/.rd/docker.sock', 'known socket (Rancher Desktop)'],
        ['unix:///run/user/1000/docker.sock', 'known socket (rootless Docker)'],
        ['unix:///run/user/1000/podman/podman.sock', 'known socket (rootless Podman)'],
        ['unix:///run/podman/podman.sock', 'known socket (Podman)'],
      ],
    );
  });

  it('leaves out the XDG_RUNTIME_DIR sockets when it is unset', () => {
    const hosts = search({}).candidates.map((c) => c.host);
    assert.ok(!hosts.some((h) => h.includes('/run/user/')));
    assert.equal(hosts.at(-1), 'unix:///run/podman/podman.sock');
  });

  it('uses the named pipe on Windows', () => {
    assert.deepEqual(search({}, {}, 'win32').candidates, [
      { host: 'npipe:////./pipe/docker_engine', source: 'default socket', tls: null },
    ]);
  });

  it('treats currentContext "default" and an empty DOCKER_HOST as no choice', () => {
    const result = search({ DOCKER_HOST: '' }, { [`${HOME}/.docker/config.json`]: '{"currentContext":"default"}' });
    assert.equal(result.exclusive, false);
    assert.equal(result.candidates[0]?.source, 'default socket');
  });

  it('reports an unparseable config.json by name and still searches', () => {
    const result = search({}, { [`${HOME}/.docker/config.json`]: '{"currentContext": ' });
    assert.equal(result.exclusive, false);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0] ?? '', /^\/home\/u\/\.docker\/config\.json: not valid JSON/);
    assert.equal(result.candidates[0]?.host, 'unix:///var/run/docker.sock');
  });

  it('never quotes a broken config.json, which can hold a password', () => {
    const result = search({}, { [`${HOME}/.docker/config.json`]: '{"auths": {"r.io": {"auth": "c2VjcmV0OnMzY3IzdA=="}} oops' });
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0] ?? '', /config\.json: not valid JSON/);
    assert.doesNotMatch(result.problems[0] ?? '', /c2VjcmV0|oops|auths/);
  });
});

describe('endpointCandidates with DOCKER_HOST', () => {
  const table: Array<[string, NodeJS.ProcessEnv, string]> = [
    ['unix socket', { DOCKER_HOST: 'unix:///tmp/d.sock' }, 'unix:///tmp/d.sock'],
    ['unix without path', { DOCKER_HOST: 'unix://' }, 'unix:///var/run/docker.sock'],
    ['bare host:port is tcp', { DOCKER_HOST: '10.0.0.5:2375' }, 'tcp://10.0.0.5:2375'],
    ['tcp without port', { DOCKER_HOST: 'tcp://build-box' }, 'tcp://build-box:2375'],
    ['tcp+TLS without port', { DOCKER_HOST: 'tcp://build-box', DOCKER_TLS_VERIFY: '1' }, 'tcp://build-box:2376'],
    ['ssh', { DOCKER_HOST: 'ssh://me@build-box' }, 'ssh://me@build-box'],
    ['ssh with port', { DOCKER_HOST: 'ssh://me@build-box:2222' }, 'ssh://me@build-box:2222'],
    ['npipe', { DOCKER_HOST: 'npipe:////./pipe/docker_engine' }, 'npipe:////./pipe/docker_engine'],
  ];
  for (const [name, env, host] of table) {
    it(`${name}: ${env['DOCKER_HOST']} -> ${host}, exclusive`, () => {
      const result = search({ ...env, DOCKER_CONTEXT: 'ignored' });
      assert.equal(result.exclusive, true);
      assert.deepEqual(result.candidates.map((c) => [c.host, c.source]), [[host, 'DOCKER_HOST']]);
    });
  }

  it('takes TLS files from DOCKER_CERT_PATH when DOCKER_TLS_VERIFY is set, leaving out missing ones', () => {
    const result = search(
      { DOCKER_HOST: 'tcp://1.2.3.4:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      { '/certs/ca.pem': 'CA', '/certs/cert.pem': 'C' },
    );
    assert.deepEqual(result.candidates[0]?.tls, { caFile: '/certs/ca.pem', certFile: '/certs/cert.pem', keyFile: null, verify: true });
  });

  it('uses ~/.docker for certificates and DOCKER_TLS for TLS without verification', () => {
    const result = search({ DOCKER_HOST: 'tcp://1.2.3.4:2376', DOCKER_TLS: '1' }, { [`${HOME}/.docker/key.pem`]: 'K' });
    assert.deepEqual(result.candidates[0]?.tls, { caFile: null, certFile: null, keyFile: `${HOME}/.docker/key.pem`, verify: false });
  });

  it('uses no TLS for plain tcp, and never for unix sockets', () => {
    assert.equal(search({ DOCKER_HOST: 'tcp://1.2.3.4:2375' }).candidates[0]?.tls, null);
    assert.equal(search({ DOCKER_HOST: 'unix:///x.sock', DOCKER_TLS_VERIFY: '1' }).candidates[0]?.tls, null);
  });

  it('reports a DOCKER_HOST it cannot use and offers nothing else', () => {
    for (const bad of ['http://1.2.3.4:2375', 'tcp://[::1', 'ssh://']) {
      const result = search({ DOCKER_HOST: bad });
      assert.deepEqual(result.candidates, [], bad);
      assert.equal(result.exclusive, true);
      assert.match(result.problems[0] ?? '', /^DOCKER_HOST: /, bad);
    }
  });
});

describe('endpointCandidates with contexts', () => {
  it('reads DOCKER_CONTEXT from its meta.json', () => {
    const result = search({ DOCKER_CONTEXT: 'colima' }, { [metaPath('colima')]: meta('colima', 'unix:///home/u/.colima/default/docker.sock') });
    assert.deepEqual(result, {
      candidates: [{ host: 'unix:///home/u/.colima/default/docker.sock', source: 'context "colima" (DOCKER_CONTEXT)', tls: null }],
      exclusive: true,
      problems: [],
    });
  });

  it('reads currentContext from $DOCKER_CONFIG/config.json', () => {
    const result = search(
      { DOCKER_CONFIG: '/cfg' },
      { '/cfg/config.json': '{"currentContext":"desktop-linux"}', [metaPath('desktop-linux', '/cfg')]: meta('desktop-linux', 'unix:///home/u/.docker/run/docker.sock') },
    );
    assert.equal(result.exclusive, true);
    assert.deepEqual(result.candidates.map((c) => [c.host, c.source]), [
      ['unix:///home/u/.docker/run/docker.sock', 'context "desktop-linux" (currentContext in /cfg/config.json)'],
    ]);
  });

  it('prefers DOCKER_CONTEXT over currentContext', () => {
    const result = search(
      { DOCKER_CONTEXT: 'a' },
      { [`${HOME}/.docker/config.json`]: '{"currentContext":"b"}', [metaPath('a')]: meta('a', 'tcp://a:2375'), [metaPath('b')]: meta('b', 'tcp://b:2375') },
    );
    assert.equal(result.candidates[0]?.host, 'tcp://a:2375');
  });

  it('takes the default socket for DOCKER_CONTEXT=default, exclusively', () => {
    const result = search({ DOCKER_CONTEXT: 'default' });
    assert.equal(result.exclusive, true);
    assert.deepEqual(result.candidates.map((c) => [c.host, c.source]), [['unix:///var/run/docker.sock', 'context "default" (DOCKER_CONTEXT)']]);
  });

  it('uses the context TLS files and SkipTLSVerify', () => {
    const files = {
      [metaPath('remote')]: meta('remote', 'tcp://10.1.1.1:2376', true),
      [tlsPath('remote', 'ca.pem')]: 'CA',
      [tlsPath('remote', 'cert.pem')]: 'C',
      [tlsPath('remote', 'key.pem')]: 'K',
    };
    assert.deepEqual(search({ DOCKER_CONTEXT: 'remote' }, files).candidates[0]?.tls, {
      caFile: tlsPath('remote', 'ca.pem'),
      certFile: tlsPath('remote', 'cert.pem'),
      keyFile: tlsPath('remote', 'key.pem'),
      verify: false,
    });
  });

  it('uses plain tcp for a context without TLS data, as docker/cli does', () => {
    assert.equal(search({ DOCKER_CONTEXT: 'r' }, { [metaPath('r')]: meta('r', 'tcp://10.1.1.1:2375') }).candidates[0]?.tls, null);
  });

  const broken: Array<[string, Record<string, string>, RegExp]> = [
    ['missing meta.json', {}, /context "gone" \(DOCKER_CONTEXT\): .*meta\.json is missing or unreadable/],
    ['meta.json not JSON', { [metaPath('gone')]: '{' }, /meta\.json is not valid JSON/],
    ['meta.json without a docker endpoint', { [metaPath('gone')]: '{"Endpoints":{}}' }, /meta\.json has no Endpoints\.docker\.Host/],
  ];
  for (const [name, files, message] of broken) {
    it(`${name}: a problem naming the file, no fallback`, () => {
      const result = search({ DOCKER_CONTEXT: 'gone' }, files);
      assert.deepEqual(result.candidates, []);
      assert.equal(result.exclusive, true);
      assert.match(result.problems.join('\n'), message);
      assert.ok(result.problems.join('\n').includes(metaPath('gone')));
    });
  }
});

describe('parseEngineHost', () => {
  it('keeps IPv6 hosts and ssh users apart', () => {
    assert.deepEqual(parseEngineHost('tcp://[::1]:2375'), { ok: true, host: { kind: 'tcp', hostname: '::1', port: 2375 } });
    assert.deepEqual(parseEngineHost('ssh://build-box'), { ok: true, host: { kind: 'ssh', username: null, hostname: 'build-box', port: 22 } });
  });
});
