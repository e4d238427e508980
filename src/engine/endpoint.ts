/**
 * Finding the Docker engine the way the Docker CLI does (docker/cli `resolveContextName`,
 * `resolveDockerEndpoint`), because docker-modem reads only DOCKER_HOST and knows nothing
 * of contexts. Pure: the filesystem is injected, so the whole search is table-testable.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DOCKER_CONFIG_FILE_NAME, DockerContextConfig, dockerConfigDir, parseDockerConfigFile } from '../config/docker-config-file.js';

export interface EngineTls {
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  /** false means "encrypt but do not check the server certificate" (SkipTLSVerify). */
  verify: boolean;
}

export interface EngineEndpoint {
  /** `unix:///var/run/docker.sock`, `tcp://1.2.3.4:2376`, `ssh://user@host`, `npipe:////./pipe/docker_engine` */
  host: string;
  /** Where the host came from, in words for the user. */
  source: string;
  tls: EngineTls | null;
}

export interface EndpointSearchInput {
  env: NodeJS.ProcessEnv;
  homedir: string;
  platform: NodeJS.Platform;
  /** File contents, or null when the file is missing or unreadable. */
  readFile(path: string): string | null;
}

export interface EndpointSearchResult {
  candidates: EngineEndpoint[];
  /**
   * True when the user chose an engine (DOCKER_HOST, DOCKER_CONTEXT, a non-default
   * currentContext): the Docker CLI never falls back from such a choice, and neither do we.
   */
  exclusive: boolean;
  /** Config that could not be used, each naming the file or variable. */
  problems: string[];
}

export type ParsedEngineHost =
  | { kind: 'unix'; path: string }
  | { kind: 'npipe'; path: string }
  | { kind: 'tcp'; hostname: string; port: number }
  | { kind: 'ssh'; username: string | null; hostname: string; port: number };

export type ParsedEngineHostResult = { ok: true; host: ParsedEngineHost } | { ok: false; error: string };

export const DEFAULT_UNIX_SOCKET = '/var/run/docker.sock';
export const DEFAULT_NPIPE = '//./pipe/docker_engine';

export function defaultEngineHost(platform: NodeJS.Platform): string {
  return platform === 'win32' ? `npipe://${DEFAULT_NPIPE}` : `unix://${DEFAULT_UNIX_SOCKET}`;
}

/**
 * Parses a Docker host string as docker/cli `opts.ParseHost` does: a bare `host:port` is tcp,
 * `unix://` and `npipe://` without a path mean the default, tcp without a port gets 2375
 * (2376 with TLS). Returns the canonical host string too, so callers print one spelling.
 */
export function parseEngineHost(
  input: string,
  options: { tls?: boolean } = {},
): ParsedEngineHostResult {
  const text = input.trim();
  if (text === '') return { ok: false, error: 'empty host' };
  const sep = text.indexOf('://');
  const scheme = sep < 0 ? 'tcp' : text.slice(0, sep).toLowerCase();
  const rest = sep < 0 ? text : text.slice(sep + 3);
  switch (scheme) {
    case 'unix':
      return { ok: true, host: { kind: 'unix', path: rest === '' ? DEFAULT_UNIX_SOCKET : rest } };
    case 'npipe':
      return { ok: true, host: { kind: 'npipe', path: rest === '' ? DEFAULT_NPIPE : rest } };
    case 'tcp':
    case 'ssh': {
      let url: URL;
      try {
        url = new URL(`${scheme === 'tcp' ? 'http' : 'ssh'}://${rest}`);
      } catch {
        return { ok: false, error: `"${input}" is not a valid ${scheme} address` };
      }
      const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (hostname === '') return { ok: false, error: `"${input}" names no host` };
      if (scheme === 'tcp') {
        const port = url.port === '' ? (options.tls === true ? 2376 : 2375) : Number(url.port);
        return { ok: true, host: { kind: 'tcp', hostname, port } };
      }
      return {
        ok: true,
        host: {
          kind: 'ssh',
          username: url.username === '' ? null : decodeURIComponent(url.username),
          hostname,
          port: url.port === '' ? 22 : Number(url.port),
        },
      };
    }
    default:
      return { ok: false, error: `"${input}" has unsupported scheme "${scheme}" (use unix, tcp, ssh or npipe)` };
  }
}

export function formatEngineHost(host: ParsedEngineHost): string {
  switch (host.kind) {
    case 'unix':
      return `unix://${host.path}`;
    case 'npipe':
      return `npipe://${host.path}`;
    case 'tcp':
      return `tcp://${host.hostname.includes(':') ? `[${host.hostname}]` : host.hostname}:${host.port}`;
    case 'ssh': {
      const name = host.hostname.includes(':') ? `[${host.hostname}]` : host.hostname;
      return `ssh://${host.username === null ? '' : `${host.username}@`}${name}${host.port === 22 ? '' : `:${host.port}`}`;
    }
  }
}

/** Sockets of the usual desktop engines, tried after the default one when nothing is configured. */
function knownSockets(env: NodeJS.ProcessEnv, homedir: string): Array<[string, string]> {
  const home = (...parts: string[]) => path.posix.join(homedir, ...parts);
  const list: Array<[string, string]> = [
    [home('.docker/run/docker.sock'), 'Docker Desktop'],
    [home('.docker/desktop/docker.sock'), 'Docker Desktop'],
    [home('.colima/default/docker.sock'), 'Colima'],
    [home('.colima/docker.sock'), 'Colima'],
    [home('.orbstack/run/docker.sock'), 'OrbStack'],
    [home('.rd/docker.sock'), 'Rancher Desktop'],
  ];
  const runtimeDir = nonEmpty(env['XDG_RUNTIME_DIR']);
  if (runtimeDir !== null) {
    list.push([path.posix.join(runtimeDir, 'docker.sock'), 'rootless Docker']);
    list.push([path.posix.join(runtimeDir, 'podman/podman.sock'), 'rootless Podman']);
  }
  list.push(['/run/podman/podman.sock', 'Podman']);
  return list;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

export function contextDirName(contextName: string): string {
  return createHash('sha256').update(contextName).digest('hex');
}

export function endpointCandidates(input: EndpointSearchInput): EndpointSearchResult {
  const { env, platform } = input;
  const problems: string[] = [];
  const configDir = dockerConfigDir(env, input.homedir);

  const dockerHost = nonEmpty(env['DOCKER_HOST']);
  if (dockerHost !== null) {
    const found = fromDockerHost(dockerHost, env, configDir, input.readFile);
    if (!found.ok) return { candidates: [], exclusive: true, problems: [found.error] };
    return { candidates: [found.endpoint], exclusive: true, problems };
  }

  const envContext = nonEmpty(env['DOCKER_CONTEXT']);
  if (envContext !== null) {
    const found = fromContext(envContext, `context "${envContext}" (DOCKER_CONTEXT)`, input, configDir);
    if (!found.ok) return { candidates: [], exclusive: true, problems: [found.error] };
    return { candidates: [found.endpoint], exclusive: true, problems };
  }

  const configFile = path.join(configDir, DOCKER_CONFIG_FILE_NAME);
  const configText = input.readFile(configFile);
  // No config.json is the normal state of a fresh machine (the Docker CLI is silent about it too).
  if (configText !== null) {
    const current = currentContextOf(configText);
    if (!current.ok) {
      problems.push(`${configFile}: ${current.error}; ignoring its currentContext`);
    } else if (current.name !== null && current.name !== 'default') {
      const source = `context "${current.name}" (currentContext in ${configFile})`;
      const found = fromContext(current.name, source, input, configDir);
      if (!found.ok) return { candidates: [], exclusive: true, problems: [...problems, found.error] };
      return { candidates: [found.endpoint], exclusive: true, problems };
    }
  }

  const candidates: EngineEndpoint[] = [
    { host: defaultEngineHost(platform), source: 'default socket', tls: null },
  ];
  // Desktop engines on macOS and Linux; on Windows they all serve the default pipe.
  if (platform !== 'win32') {
    const seen = new Set(candidates.map((c) => c.host));
    for (const [socket, product] of knownSockets(env, input.homedir)) {
      const host = `unix://${socket}`;
      if (seen.has(host)) continue;
      seen.add(host);
      candidates.push({ host, source: `known socket (${product})`, tls: null });
    }
  }
  return { candidates, exclusive: false, problems };
}

type Found = { ok: true; endpoint: EngineEndpoint } | { ok: false; error: string };

function fromDockerHost(
  value: string,
  env: NodeJS.ProcessEnv,
  configDir: string,
  readFile: (path: string) => string | null,
): Found {
  // The Docker CLI enables TLS for any non-empty DOCKER_TLS_VERIFY, even "0"; we match it so
  // both tools reach the same engine.
  const verify = nonEmpty(env['DOCKER_TLS_VERIFY']) !== null;
  const useTls = verify || nonEmpty(env['DOCKER_TLS']) !== null;
  const parsed = parseEngineHost(value, { tls: useTls });
  if (!parsed.ok) return { ok: false, error: `DOCKER_HOST: ${parsed.error}` };
  let tls: EngineTls | null = null;
  if (parsed.host.kind === 'tcp' && useTls) {
    const certDir = nonEmpty(env['DOCKER_CERT_PATH']) ?? configDir;
    const file = (name: string) => {
      const p = path.join(certDir, name);
      return readFile(p) === null ? null : p;
    };
    tls = { caFile: file('ca.pem'), certFile: file('cert.pem'), keyFile: file('key.pem'), verify };
  }
  return { ok: true, endpoint: { host: formatEngineHost(parsed.host), source: 'DOCKER_HOST', tls } };
}

function currentContextOf(configText: string): { ok: true; name: string | null } | { ok: false; error: string } {
  const parsed = parseDockerConfigFile(configText, DockerContextConfig);
  if (!parsed.ok) {
    const { problem } = parsed;
    if (problem.kind === 'not-json') return { ok: false, error: problem.position === null ? 'not valid JSON' : `not valid JSON (at character ${problem.position})` };
    return { ok: false, error: problem.field === '' ? 'not a JSON object' : 'currentContext is not a string' };
  }
  const current = parsed.config.currentContext;
  return { ok: true, name: current === undefined || current === '' ? null : current };
}

function fromContext(name: string, source: string, input: EndpointSearchInput, configDir: string): Found {
  if (name === 'default') {
    return { ok: true, endpoint: { host: defaultEngineHost(input.platform), source, tls: null } };
  }
  const dir = contextDirName(name);
  const metaFile = path.join(configDir, 'contexts', 'meta', dir, 'meta.json');
  const text = input.readFile(metaFile);
  if (text === null) {
    return { ok: false, error: `${source}: ${metaFile} is missing or unreadable (does the context exist? see "docker context ls")` };
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `${source}: ${metaFile} is not valid JSON (${(error as Error).message})` };
  }
  const docker = pick(pick(meta, 'Endpoints'), 'docker');
  const host = pick(docker, 'Host');
  if (typeof host !== 'string' || host === '') {
    return { ok: false, error: `${source}: ${metaFile} has no Endpoints.docker.Host` };
  }
  const skipVerify = pick(docker, 'SkipTLSVerify') === true;
  const tlsDir = path.join(configDir, 'contexts', 'tls', dir, 'docker');
  const file = (fileName: string) => {
    const p = path.join(tlsDir, fileName);
    return input.readFile(p) === null ? null : p;
  };
  const ca = file('ca.pem');
  const cert = file('cert.pem');
  const key = file('key.pem');
  const hasTlsData = ca !== null || cert !== null || key !== null;
  const parsed = parseEngineHost(host, { tls: hasTlsData || skipVerify });
  if (!parsed.ok) return { ok: false, error: `${source}: ${metaFile}: Endpoints.docker.Host ${parsed.error}` };
  // As docker/cli context/docker/load.go tlsConfig(): no TLS data and verification on means plain TCP.
  const tls =
    parsed.host.kind === 'tcp' && (hasTlsData || skipVerify)
      ? { caFile: ca, certFile: cert, keyFile: key, verify: !skipVerify }
      : null;
  return { ok: true, endpoint: { host: formatEngineHost(parsed.host), source, tls } };
}

function pick(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return (value as Record<string, unknown>)[key];
}
