// Test world for the registry client: real docker-registry processes with their own configs
// (plain, htpasswd, token, TLS), a token server, a counting proxy, certificates made with
// openssl. Every process and server started here is stopped through the test's t.after.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import bcrypt from 'bcryptjs';

const REGISTRY_BINARY = 'docker-registry';

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // keep looking
    }
  }
  return null;
}

/**
 * Skip reason for `describe(…, { skip })` when docker-registry is missing; under CI=true a
 * missing binary is a failure, not a skip.
 */
export function registrySkipReason(): string | false {
  if (findOnPath(REGISTRY_BINARY) !== null) return false;
  const reason = `${REGISTRY_BINARY} not installed (Debian: apt-get install docker-registry)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`);
  return reason;
}

/** A scratch dir removed after the test. */
export function tempDir(t: TestContext, prefix = 'basewatch-registry-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}


function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export type RegistryAuthConfig =
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; certFile: string };

export interface TestRegistry {
  /** host:port as an image reference would name it. */
  address: string;
  /** Base URL for pushes from the tests. */
  url: string;
}

/** Starts docker-registry with filesystem storage in a temp dir; stopped in t.after. */
export async function startRegistry(
  t: TestContext,
  options: { host?: string; auth?: RegistryAuthConfig; tls?: { certFile: string; keyFile: string } } = {},
): Promise<TestRegistry> {
  const dir = tempDir(t);
  const host = options.host ?? '127.0.0.1';
  const port = await freePort(host);
  const lines = [
    'version: 0.1',
    'log: { level: info, accesslog: { disabled: false } }',
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} }, delete: { enabled: true } }`,
    'http:',
    `  addr: ${JSON.stringify(`${host}:${port}`)}`,
  ];
  if (options.tls) lines.push(`  tls: { certificate: ${JSON.stringify(options.tls.certFile)}, key: ${JSON.stringify(options.tls.keyFile)} }`);
  const auth = options.auth;
  if (auth?.kind === 'htpasswd') {
    const file = join(dir, 'htpasswd');
    writeFileSync(file, Object.entries(auth.users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}\n`).join(''));
    lines.push(`auth: { htpasswd: { realm: basewatch-test, path: ${JSON.stringify(file)} } }`);
  } else if (auth?.kind === 'token') {
    lines.push(
      `auth: { token: { realm: ${JSON.stringify(auth.realm)}, service: ${JSON.stringify(auth.service)}, issuer: ${JSON.stringify(auth.issuer)}, rootcertbundle: ${JSON.stringify(auth.certFile)} } }`,
    );
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const child = spawn(findOnPath(REGISTRY_BINARY) ?? REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk));
  t.after(() => stopChild(child));
  const deadline = Date.now() + 15_000;
  while (!(await canConnect(host, port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      assert.fail(`docker-registry did not start on ${host}:${port}:\n${Buffer.concat(log).toString('utf8').slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { address: `${host}:${port}`, url: `${options.tls ? 'https' : 'http'}://${host}:${port}` };
}

/** Starts a node:http server on a free loopback port; closed in t.after. */
export async function startHttpServer(
  t: TestContext,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ address: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  assert.ok(typeof address === 'object', `server.address() is ${JSON.stringify(address)}`);
  assert.ok(address !== null, 'server.address() is null: the server is not listening');
  return { address: `127.0.0.1:${address.port}`, server };
}

export interface RecordingProxy {
  address: string;
  /** `HEAD /v2/app/manifests/1` → how many times it was seen. */
  requests: string[];
  count(method: string, pathPrefix?: string): number;
  maxInFlight: number;
}

/**
 * A recording proxy in front of a registry: counts requests and concurrency; can delay answers
 * (to make concurrency observable) and strip headers (to imitate registries that omit them).
 */
export async function startRecordingProxy(
  t: TestContext,
  upstream: string,
  options: { delayMs?: number; stripHeaders?: (method: string) => string[] } = {},
): Promise<RecordingProxy> {
  const [upstreamHost = '', upstreamPort = ''] = upstream.split(':');
  const proxy: RecordingProxy = {
    address: '',
    requests: [],
    maxInFlight: 0,
    count: (method, prefix = '') => proxy.requests.filter((line) => line.startsWith(`${method} ${prefix}`)).length,
  };
  let inFlight = 0;
  const { address } = await startHttpServer(t, (req, res) => {
    proxy.requests.push(`${req.method} ${req.url}`);
    inFlight++;
    proxy.maxInFlight = Math.max(proxy.maxInFlight, inFlight);
    const forward = httpRequest({ host: upstreamHost, port: Number(upstreamPort), method: req.method, path: req.url, headers: req.headers }, (up) => {
      const headers = { ...up.headers };
      for (const name of options.stripHeaders?.(req.method ?? '') ?? []) delete headers[name.toLowerCase()];
      setTimeout(() => {
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
        up.on('end', () => inFlight--);
      }, options.delayMs ?? 0);
    });
    forward.on('error', () => {
      inFlight--;
      res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  proxy.address = address;
  return proxy;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed RSA key+cert for signing registry tokens (the registry's rootcertbundle). */
export function makeSigningKey(dir: string): { keyFile: string; certFile: string } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'token.key', '-out', 'token.crt', '-days', '2', '-subj', '/CN=basewatch-token-issuer'], dir);
  return { keyFile: join(dir, 'token.key'), certFile: join(dir, 'token.crt') };
}

/** A test CA and a server certificate for `ip` signed by it. */
export function makeTlsFiles(dir: string, ip: string): { caFile: string; certFile: string; keyFile: string } {
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=basewatch test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${ip}`], dir);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=IP:${ip}\nextendedKeyUsage=serverAuth\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf'], dir);
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

/** An RS256 JWT the registry accepts: the signing cert travels in `x5c` and chains to rootcertbundle. */
export function signRegistryToken(
  signing: { keyFile: string; certFile: string },
  claims: { issuer: string; service: string; subject: string; repository: string; actions: string[] },
): string {
  const key = createPrivateKey(readFileSync(signing.keyFile));
  const certDer = new X509Certificate(readFileSync(signing.certFile)).raw;
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = encode({ typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] });
  const payload = encode({
    iss: claims.issuer,
    sub: claims.subject,
    aud: claims.service,
    iat: now - 10,
    nbf: now - 10,
    exp: now + 600,
    jti: randomUUID(),
    access: claims.repository === '' ? [] : [{ type: 'repository', name: claims.repository, actions: claims.actions }],
  });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

export interface TokenServer {
  /** Realm URL to put in the registry config. */
  realm: string;
  /** Every token request: method, grant (`password`, `refresh_token`, `anonymous`), scope. */
  requests: { method: string; grant: string; scope: string }[];
}

/**
 * A token server per the distribution token spec: GET with Basic auth (or anonymous when
 * allowed), POST grant_type=refresh_token for identity tokens. Wrong credentials get 401.
 */
export async function startTokenServer(
  t: TestContext,
  options: {
    signing: { keyFile: string; certFile: string };
    issuer: string;
    service: string;
    users: Record<string, string>;
    refreshTokens?: Record<string, string>;
    expiresIn?: number;
  },
): Promise<TokenServer> {
  const requests: TokenServer['requests'] = [];
  const { address } = await startHttpServer(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://token');
      const form = new URLSearchParams(req.method === 'POST' ? Buffer.concat(chunks).toString('utf8') : '');
      const scope = (req.method === 'POST' ? form.get('scope') : url.searchParams.get('scope')) ?? '';
      let subject: string | undefined;
      let grant = 'anonymous';
      if (req.method === 'POST') {
        grant = form.get('grant_type') ?? '';
        subject = grant === 'refresh_token' ? options.refreshTokens?.[form.get('refresh_token') ?? ''] : undefined;
      } else if (req.headers.authorization?.startsWith('Basic ')) {
        grant = 'password';
        const [user = '', ...rest] = Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8').split(':');
        if (options.users[user] === rest.join(':')) subject = user;
      }
      requests.push({ method: req.method ?? '', grant, scope });
      if (subject === undefined) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const [, repository = '', actions = ''] = scope.split(':');
      const token = signRegistryToken(options.signing, {
        issuer: options.issuer,
        service: options.service,
        subject,
        repository,
        actions: actions.split(',').filter((a) => a !== ''),
      });
      const body = req.method === 'POST' ? { access_token: token, expires_in: options.expiresIn ?? 300 } : { token, expires_in: options.expiresIn ?? 300 };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  return { realm: `http://${address}/token`, requests };
}
