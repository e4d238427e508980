import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { convertToHostname, lookupCredential } from './credentials.js';

const SECRET = 's3cr3t-Pa55';
const roots: string[] = [];
after(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

interface World {
  configDir: string;
  binDir: string;
  env: NodeJS.ProcessEnv;
  /** Writes a `docker-credential-<name>` shell script into the PATH dir. */
  helper(name: string, script: string): Promise<void>;
}

async function world(config: unknown | string | null): Promise<World> {
  const root = await mkdtemp(join(tmpdir(), 'basewatch-cred-'));
  roots.push(root);
  const configDir = join(root, 'docker');
  const binDir = join(root, 'bin');
  await mkdir(configDir);
  await mkdir(binDir);
  if (config !== null) await writeFile(join(configDir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  // PATH holds only the helper dir plus /bin for `sh`/`cat`: helpers installed on this machine must not leak in.
  const env = { PATH: `${binDir}:/bin:/usr/bin`, HOME: root };
  return {
    configDir,
    binDir,
    env,
    async helper(name, script) {
      const file = join(binDir, `docker-credential-${name}`);
      await writeFile(file, `#!/bin/sh\n${script}\n`);
      await chmod(file, 0o755);
    },
  };
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const opts = (w: World, extra: object = {}) => ({ configDir: w.configDir, env: w.env, helperDirs: [], ...extra });

/** A helper that records its argv and stdin, then answers like docker-credential-helpers. */
const echoHelper = (dir: string, answer: string): string =>
  `echo "$1" > ${dir}/args; cat > ${dir}/stdin; printf '%s' '${answer}'`;

describe('convertToHostname', () => {
  const table: Array<[string, string]> = [
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['http://registry.corp:5000/v1/', 'registry.corp:5000'],
    ['registry.corp:5000/v2/', 'registry.corp:5000'],
    ['ghcr.io', 'ghcr.io'],
  ];
  for (const [input, expected] of table) it(`${input} -> ${expected}`, () => assert.equal(convertToHostname(input), expected));
});

describe('lookupCredential from auths', () => {
  it('decodes auth (base64 user:pass) for Docker Hub under https://index.docker.io/v1/', async () => {
    const w = await world({ auths: { 'https://index.docker.io/v1/': { auth: b64(`hubuser:${SECRET}`) } } });
    const result = await lookupCredential('docker.io', opts(w));
    assert.deepEqual(result.credential, { username: 'hubuser', secret: SECRET, identityToken: false });
    assert.equal(result.source, `auths in ${join(w.configDir, 'config.json')}`);
    assert.equal(result.problem, null);
  });

  for (const key of ['index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io/v2/']) {
    it(`accepts Docker Hub stored as ${key}`, async () => {
      const w = await world({ auths: { [key]: { auth: b64('u:p:with:colons') } } });
      const result = await lookupCredential('docker.io', opts(w));
      assert.deepEqual(result.credential, { username: 'u', secret: 'p:with:colons', identityToken: false });
    });
  }

  for (const key of ['registry.corp:5000', 'https://registry.corp:5000', 'http://registry.corp:5000/v1/', 'registry.corp:5000/v2/']) {
    it(`matches registry.corp:5000 stored as ${key} (ConvertToHostname)`, async () => {
      const w = await world({ auths: { [key]: { auth: b64('corp:pw') } } });
      const result = await lookupCredential('registry.corp:5000', opts(w));
      assert.equal(result.credential?.username, 'corp');
    });
  }

  it('does not match another port or host', async () => {
    const w = await world({ auths: { 'registry.corp:5001': { auth: b64('a:b') }, 'registry.corp': { auth: b64('c:d') } } });
    const result = await lookupCredential('registry.corp:5000', opts(w));
    assert.equal(result.credential, null);
    assert.equal(result.problem, null);
  });

  it('reads username and password fields', async () => {
    const w = await world({ auths: { 'ghcr.io': { username: 'me', password: SECRET } } });
    assert.deepEqual((await lookupCredential('ghcr.io', opts(w))).credential, { username: 'me', secret: SECRET, identityToken: false });
  });

  it('prefers an identitytoken', async () => {
    const w = await world({ auths: { 'ghcr.io': { auth: b64('me:pw'), identitytoken: 'refresh-xyz' } } });
    assert.deepEqual((await lookupCredential('ghcr.io', opts(w))).credential, { username: 'me', secret: 'refresh-xyz', identityToken: true });
  });

  it('reports a bad auth value without echoing it', async () => {
    const w = await world({ auths: { 'ghcr.io': { auth: b64(`nocolon${SECRET}`) } } });
    const result = await lookupCredential('ghcr.io', opts(w));
    assert.equal(result.credential, null);
    assert.match(result.problem ?? '', /not base64 of user:password/);
    assert.ok(!(result.problem ?? '').includes(SECRET), `the problem echoes the secret: ${result.problem}`);
    assert.ok(!(result.problem ?? '').includes(b64(`nocolon${SECRET}`)), `the problem echoes the auth value: ${result.problem}`);
  });

  it('finds no credential and no problem without config.json', async () => {
    const w = await world(null);
    const result = await lookupCredential('ghcr.io', opts(w));
    assert.deepEqual(result, { credential: null, source: `none (no ${join(w.configDir, 'config.json')})`, problem: null });
  });

  it('uses $DOCKER_CONFIG when no configDir is given', async () => {
    const w = await world({ auths: { 'ghcr.io': { auth: b64('env:pw') } } });
    const result = await lookupCredential('ghcr.io', { env: { ...w.env, DOCKER_CONFIG: w.configDir }, helperDirs: [] });
    assert.equal(result.credential?.username, 'env');
  });

  it('reports a config.json that is not JSON without quoting it', async () => {
    const w = await world(`{"auths": {"ghcr.io": {"password": "${SECRET}"`);
    const result = await lookupCredential('ghcr.io', opts(w));
    assert.equal(result.credential, null);
    assert.match(result.problem ?? '', /is not valid JSON/);
    assert.ok(!(result.problem ?? '').includes(SECRET));
  });

  it('reports a config.json that is a FIFO by name, without opening it for a blocking read', async () => {
    const w = await world(null);
    const file = join(w.configDir, 'config.json');
    execFileSync('mkfifo', [file]);
    const result = await lookupCredential('ghcr.io', opts(w));
    assert.equal(result.credential, null);
    assert.match(result.problem ?? '', new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a FIFO`));
  });
});

describe('lookupCredential from helpers', () => {
  it('runs credHelpers[host] with `get` and the host on stdin', async () => {
    const w = await world({ credHelpers: { 'ghcr.io': 'test' }, credsStore: 'other', auths: { 'ghcr.io': { auth: b64('file:pw') } } });
    await w.helper('test', echoHelper(w.binDir, `{"ServerURL":"ghcr.io","Username":"helperuser","Secret":"${SECRET}"}`));
    const result = await lookupCredential('ghcr.io', opts(w));
    assert.deepEqual(result.credential, { username: 'helperuser', secret: SECRET, identityToken: false });
    assert.equal(result.source, 'credHelpers[ghcr.io] (docker-credential-test)');
    const { readFile } = await import('node:fs/promises');
    assert.equal((await readFile(join(w.binDir, 'args'), 'utf8')).trim(), 'get');
    assert.equal(await readFile(join(w.binDir, 'stdin'), 'utf8'), 'ghcr.io');
  });

  it('passes https://index.docker.io/v1/ to the credsStore helper for Docker Hub', async () => {
    const w = await world({ credsStore: 'test', auths: { 'https://index.docker.io/v1/': {} } });
    await w.helper('test', echoHelper(w.binDir, `{"Username":"hub","Secret":"${SECRET}"}`));
    const result = await lookupCredential('docker.io', opts(w));
    assert.equal(result.source, 'credsStore (docker-credential-test)');
    assert.equal(result.credential?.username, 'hub');
    const { readFile } = await import('node:fs/promises');
    assert.equal(await readFile(join(w.binDir, 'stdin'), 'utf8'), 'https://index.docker.io/v1/');
  });

  it('reads Username "<token>" as an identity token', async () => {
    const w = await world({ credsStore: 'test' });
    await w.helper('test', `printf '%s' '{"ServerURL":"ghcr.io","Username":"<token>","Secret":"${SECRET}"}'`);
    assert.deepEqual((await lookupCredential('ghcr.io', opts(w))).credential, { username: '<token>', secret: SECRET, identityToken: true });
  });

  it('treats "credentials not found in native keychain" as no credential, not a problem', async () => {
    const w = await world({ credsStore: 'test', auths: { 'ghcr.io': { auth: b64('ignored:pw') } } });
    await w.helper('test', 'echo "credentials not found in native keychain"; exit 1');
    const result = await lookupCredential('ghcr.io', opts(w));
    // Like Docker: with a store configured, auths entries are not used.
    assert.deepEqual(result, { credential: null, source: 'credsStore (docker-credential-test)', problem: null });
  });

  it('reports a missing helper', async () => {
    const w = await world({ credHelpers: { 'ghcr.io': 'absent' } });
    const result = await lookupCredential('ghcr.io', opts(w));
    assert.equal(result.credential, null);
    assert.match(result.problem ?? '', /docker-credential-absent not found on PATH/);
  });

  it('finds a helper outside PATH in the extra bin folders', async () => {
    const w = await world({ credsStore: 'test' });
    await w.helper('test', `printf '%s' '{"Username":"u","Secret":"${SECRET}"}'`);
    const env = { ...w.env, PATH: '/bin:/usr/bin' };
    assert.equal((await lookupCredential('ghcr.io', { configDir: w.configDir, env, helperDirs: [] })).credential, null);
    const found = await lookupCredential('ghcr.io', { configDir: w.configDir, env, helperDirs: ['/nonexistent', w.binDir] });
    assert.equal(found.credential?.username, 'u');
  });

  it('times out a hanging helper', async () => {
    const w = await world({ credsStore: 'test' });
    await w.helper('test', 'exec sleep 30');
    const started = Date.now();
    const result = await lookupCredential('ghcr.io', opts(w, { timeoutMs: 300 }));
    assert.ok(Date.now() - started < 5_000, 'returned promptly');
    assert.equal(result.credential, null);
    assert.match(result.problem ?? '', /docker-credential-test get timed out after 0.3 s/);
  });

  it('reports bad JSON without echoing it', async () => {
    const w = await world({ credsStore: 'test' });
    await w.helper('test', `printf '%s' '{"Username":"u","Secret":"${SECRET}"'`);
    const result = await lookupCredential('ghcr.io', opts(w));
    assert.equal(result.credential, null);
    assert.match(result.problem ?? '', /not JSON/);
    assert.ok(!(result.problem ?? '').includes(SECRET));
  });

  it('reports a failing helper with its error line but never a secret it printed', async () => {
    const w = await world({ credsStore: 'test' });
    await w.helper('test', 'echo "keychain is locked" >&2; exit 3');
    const failed = await lookupCredential('ghcr.io', opts(w));
    assert.equal(failed.problem, 'docker-credential-test get failed (exit 3): keychain is locked');

    await w.helper('test', `echo '{"Secret":"${SECRET}"}'; exit 1`);
    const leaky = await lookupCredential('ghcr.io', opts(w));
    assert.equal(leaky.problem, 'docker-credential-test get failed (exit 1)');
  });

  it('refuses a helper name that is a path', async () => {
    const w = await world({ credsStore: '../../bin/sh' });
    const result = await lookupCredential('ghcr.io', opts(w));
    assert.match(result.problem ?? '', /not valid/);
  });
});
