/**
 * Registry credentials found exactly where the Docker CLI finds them
 * (docker/cli `config/configfile` and `config/credentials`):
 *   1. `credHelpers[<server>]` in `$DOCKER_CONFIG/config.json` (default `~/.docker`)
 *   2. else `credsStore` (a helper for every registry)
 *   3. else `auths[<server>]`: `auth` (base64 user:pass), `username`+`password`, `identitytoken`
 * When a helper is configured for the registry, `auths` is not consulted (as in Docker: the
 * file then only holds empty placeholders). `<server>` is `https://index.docker.io/v1/` for
 * Docker Hub, otherwise the registry host; `auths` keys written as URLs are matched by host
 * (Docker's `ConvertToHostname`).
 */
import { readBoundedFile } from '../util/read-bounded-file.js';
import { join } from 'node:path';
import {
  DOCKER_CONFIG_FILE_NAME,
  type DockerAuthEntry,
  DockerCredentialConfig,
  dockerConfigDir,
  parseDockerConfigFile,
} from '../config/docker-config-file.js';
import { DOCKER_HUB_SERVER, isDockerHubHost } from '../refs/docker-hub.js';
import { type HelperCredential, type HelperOptions, runCredentialHelper } from './credential-helper.js';

export type RegistryCredential = HelperCredential;

export interface CredentialLookup {
  readonly credential: RegistryCredential | null;
  /** Where it came from (or where we looked), for `basewatch doctor`-style output. */
  readonly source: string;
  /** Why a configured source could not be used; never contains a secret. */
  readonly problem: string | null;
}

export interface CredentialLookupOptions extends HelperOptions {
  /** Folder holding config.json. Default: `$DOCKER_CONFIG`, else `~/.docker`. */
  readonly configDir?: string;
}

/** What looks up a credential for a registry host (`docker.io`, `ghcr.io`, `host:5000`). */
export type CredentialSource = (registry: string) => Promise<CredentialLookup>;

/** Docker CLI's `ConvertToHostname`: `https://host:5000/v1/` -> `host:5000`, `host/v2` -> `host`. */
export function convertToHostname(maybeUrl: string): string {
  if (maybeUrl.includes('://')) {
    try {
      const url = new URL(maybeUrl);
      if (url.hostname !== '') return url.port === '' ? url.hostname : `${url.hostname}:${url.port}`;
    } catch {
      // fall through to the plain cut, like Docker
    }
  }
  return maybeUrl.split('/')[0] ?? maybeUrl;
}

function isDockerHub(registry: string): boolean {
  return isDockerHubHost(registry.toLowerCase()) || registry === DOCKER_HUB_SERVER;
}

/** The server address Docker stores and passes to helpers for a registry host. */
export function credentialServerAddress(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB_SERVER : registry;
}

/** Exact key first, then keys that name the same host (Docker Hub under any of its names). */
function findKey(keys: readonly string[], registry: string): string | undefined {
  const server = credentialServerAddress(registry);
  if (keys.includes(server)) return server;
  const hub = isDockerHub(registry);
  return keys.find((key) => {
    const host = convertToHostname(key).toLowerCase();
    return hub ? isDockerHubHost(host) : host === registry.toLowerCase();
  });
}

type ConfigRead = { ok: true; config: DockerCredentialConfig | null } | { ok: false; problem: string };

async function readDockerConfig(file: string): Promise<ConfigRead> {
  // Bounded and non-blocking, as every file basewatch reads: a FIFO or a link to a device here
  // must not hang or bloat a check (the engine connection reads this file the same way).
  const read = await readBoundedFile(file, 'settings');
  if (!read.ok) {
    if (read.problem === 'missing') return { ok: true, config: null };
    return { ok: false, problem: `${file} ${read.message}` };
  }
  const parsed = parseDockerConfigFile(read.text, DockerCredentialConfig);
  if (parsed.ok) return { ok: true, config: parsed.config };
  // Not JSON.parse's message: it quotes the text around the error, which may be a password.
  if (parsed.problem.kind === 'not-json') return { ok: false, problem: `${file} is not valid JSON` };
  return { ok: false, problem: `${file} does not look like a Docker config file (bad ${parsed.problem.field || 'structure'})` };
}

function credentialFromEntry(entry: DockerAuthEntry): RegistryCredential | { problem: string } | null {
  let username = entry.username ?? '';
  let password = entry.password ?? '';
  if (entry.auth !== undefined && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { problem: 'its "auth" value is not base64 of user:password' };
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  // Docker prefers the identity token when both are present (it is what `docker login` stores
  // for registries that issue refresh tokens).
  if (entry.identitytoken !== undefined && entry.identitytoken !== '') {
    return { username, secret: entry.identitytoken, identityToken: true };
  }
  if (username === '' && password === '') return null;
  return { username, secret: password, identityToken: false };
}

export async function lookupCredential(registry: string, options: CredentialLookupOptions = {}): Promise<CredentialLookup> {
  const env = options.env ?? process.env;
  const dir = options.configDir ?? dockerConfigDir(env);
  const file = join(dir, DOCKER_CONFIG_FILE_NAME);
  const read = await readDockerConfig(file);
  if (!read.ok) return { credential: null, source: file, problem: read.problem };
  if (read.config === null) return { credential: null, source: `none (no ${file})`, problem: null };
  const config = read.config;
  const server = credentialServerAddress(registry);

  const helperKey = findKey(Object.keys(config.credHelpers ?? {}), registry);
  const helperName = helperKey !== undefined ? config.credHelpers?.[helperKey] : undefined;
  const storeName = config.credsStore !== undefined && config.credsStore !== '' ? config.credsStore : undefined;
  if (helperName !== undefined || storeName !== undefined) {
    const name = (helperName ?? storeName) as string;
    const source =
      helperName !== undefined ? `credHelpers[${helperKey}] (docker-credential-${name})` : `credsStore (docker-credential-${name})`;
    const result = await runCredentialHelper(name, server, { ...options, env });
    if (result.kind === 'found') return { credential: result.credential, source, problem: null };
    if (result.kind === 'not-found') return { credential: null, source, problem: null };
    return { credential: null, source, problem: result.problem };
  }

  const auths = config.auths ?? {};
  const key = findKey(Object.keys(auths), registry);
  const entry = key !== undefined ? auths[key] : undefined;
  const source = `auths in ${file}`;
  if (entry === undefined || entry === null) return { credential: null, source, problem: null };
  const credential = credentialFromEntry(entry);
  if (credential !== null && 'problem' in credential) {
    return { credential: null, source, problem: `auths[${key}] in ${file}: ${credential.problem}` };
  }
  return { credential, source, problem: null };
}

/**
 * A credential source for {@link createRegistryClient}; reads config.json on every call so a
 * `docker login` while the daemon runs is picked up (the client asks once per registry and run).
 */
export function dockerCredentials(options: CredentialLookupOptions = {}): CredentialSource {
  return (registry) => lookupCredential(registry, options);
}
