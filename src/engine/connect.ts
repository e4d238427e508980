/**
 * Connecting: try each candidate endpoint in order and keep the first that answers /_ping.
 * When none does, the error says what was tried, why each was chosen and why each failed,
 * because "cannot connect to the Docker daemon" alone sends users guessing.
 */
import { readBoundedFileSync } from '../util/read-bounded-file.js';
import os from 'node:os';
import type { EngineClient, EngineClientOptions } from './engine-client.js';
import { createEngineClient } from './docker-engine.js';
import type { EngineFailure } from './engine-error.js';
import { EngineError } from './engine-error.js';
import type { EngineEndpoint } from './endpoint.js';
import { endpointCandidates, parseEngineHost } from './endpoint.js';

export interface ConnectAttempt {
  host: string;
  source: string;
  /** What went wrong, in words a user can act on. */
  reason: string;
}

export class EngineUnreachableError extends Error {
  override readonly name = 'EngineUnreachableError';
  readonly attempts: ConnectAttempt[];
  /** Configuration that could not be used (an unreadable context, a bad DOCKER_HOST). */
  readonly problems: string[];

  constructor(attempts: ConnectAttempt[], problems: string[], exclusive = false) {
    super(unreachableMessage(attempts, problems, exclusive));
    this.attempts = attempts;
    this.problems = problems;
  }
}

export interface ConnectOptions {
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: os.homedir(). */
  homedir?: string;
  /** Default: process.platform. */
  platform?: NodeJS.Platform;
  /** Default: fs.readFileSync as UTF-8, null when it fails. */
  readFile?: (path: string) => string | null;
  /** Skip the search and try these in order (tests, or a host given on the command line). */
  candidates?: EngineEndpoint[];
  /** Per candidate. Default 2 000 ms for local sockets and pipes, 10 000 ms for tcp and ssh. */
  pingTimeoutMs?: number;
  /** Passed on to the client that answered. */
  client?: Omit<EngineClientOptions, 'apiVersion'>;
  /** Told about configuration we had to ignore even though an engine was found. */
  onProblem?: (problem: string) => void;
}

export async function connectEngine(options: ConnectOptions = {}): Promise<EngineClient> {
  let candidates: EngineEndpoint[];
  let problems: string[] = [];
  let exclusive = true;
  if (options.candidates !== undefined) {
    candidates = options.candidates;
  } else {
    const found = endpointCandidates({
      env: options.env ?? process.env,
      homedir: options.homedir ?? os.homedir(),
      platform: options.platform ?? process.platform,
      readFile: options.readFile ?? readTextOrNull,
    });
    candidates = found.candidates;
    problems = found.problems;
    exclusive = found.exclusive;
  }

  const attempts: ConnectAttempt[] = [];
  for (const endpoint of candidates) {
    const timeoutMs = options.pingTimeoutMs ?? (isLocal(endpoint) ? 2_000 : 10_000);
    const probe = createEngineClient(endpoint, { timeoutMs });
    try {
      const ping = await probe.ping();
      for (const problem of problems) options.onProblem?.(problem);
      // A fresh client for the caller's timeout, with the version this ping settled.
      return createEngineClient(endpoint, { ...options.client, ...(ping.apiVersion === null ? {} : { apiVersion: ping.apiVersion }) });
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      attempts.push({ host: endpoint.host, source: endpoint.source, reason: describeFailure(error, endpoint) });
    }
  }
  throw new EngineUnreachableError(attempts, problems, exclusive && options.candidates === undefined);
}

function isLocal(endpoint: EngineEndpoint): boolean {
  const parsed = parseEngineHost(endpoint.host);
  return parsed.ok && (parsed.host.kind === 'unix' || parsed.host.kind === 'npipe');
}

/**
 * The Docker CLI's config, a context's meta file, a TLS file: bounded, regular files only (a FIFO
 * or a link to /dev/zero in `~/.docker` must not hang or bloat every command); else null, as if
 * it were missing.
 */
function readTextOrNull(path: string): string | null {
  const read = readBoundedFileSync(path, 'settings');
  return read.ok ? read.text : null;
}

const HINTS: Record<EngineFailure, (error: EngineError, kind: string) => string> = {
  'no-socket': (_, kind) => (kind === 'npipe' ? 'no such pipe: is Docker Desktop running?' : 'no such socket'),
  refused: (_, kind) =>
    kind === 'unix' ? 'nothing listening (the socket file exists, but no engine is serving it)' : 'nothing listening',
  permission: () => 'permission denied: add your user to the docker group or use rootless Docker',
  timeout: (e) => `timed out (${e.detail})`,
  'host-not-found': () => 'host name not found',
  unreachable: (e) => `unreachable (${e.detail})`,
  reset: () => 'connection closed before an answer (is this a Docker engine?)',
  tls: (e) => `TLS failed (${e.code ?? e.detail}): check the certificates in DOCKER_CERT_PATH or the context's TLS files`,
  'tls-files': (e) => e.detail,
  'ssh-auth': () => 'ssh authentication failed: load a key into your ssh agent (SSH_AUTH_SOCK); ~/.ssh/config is not read',
  'not-docker': (e) => `something answered, but not a Docker engine (${e.detail})`,
  'not-found': () => 'answered 404 to /_ping: not a Docker engine API',
  http: (e) => `the engine answered with an error (${e.detail})`,
  'bad-response': (e) => e.detail,
  other: (e) => e.detail,
};

export function describeFailure(error: EngineError, endpoint: EngineEndpoint): string {
  const parsed = parseEngineHost(endpoint.host);
  return HINTS[error.failure](error, parsed.ok ? parsed.host.kind : 'unknown');
}

function unreachableMessage(attempts: ConnectAttempt[], problems: string[], exclusive: boolean): string {
  const lines = ['Cannot reach a Docker engine.'];
  if (attempts.length > 0) {
    lines.push('Tried:');
    for (const a of attempts) lines.push(`  ${a.host} (${a.source}): ${a.reason}`);
  }
  if (problems.length > 0) {
    lines.push(attempts.length > 0 ? 'Also:' : 'Could not use the configured engine:');
    for (const p of problems) lines.push(`  ${p}`);
  }
  if (exclusive) {
    // As the Docker CLI does: an engine the user chose is never swapped for another one.
    lines.push('An engine was chosen explicitly (DOCKER_HOST, DOCKER_CONTEXT or the current context), so no other was tried.');
  }
  return lines.join('\n');
}
