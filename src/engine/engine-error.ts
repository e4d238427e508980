import type { EngineEndpoint } from './endpoint.js';

/** Why a request to the engine failed, coarse enough for a user-facing hint. */
export type EngineFailure =
  | 'no-socket' // the socket or pipe does not exist
  | 'refused' // nothing listening
  | 'permission' // the socket exists but we may not open it
  | 'timeout'
  | 'host-not-found'
  | 'unreachable' // network or ssh transport trouble
  | 'reset' // connection dropped mid-request
  | 'tls' // handshake or certificate
  | 'tls-files' // the endpoint's cert/key files cannot be read
  | 'ssh-auth'
  | 'not-docker' // something answered, but not a Docker API
  | 'not-found' // 404 where a value was not expected
  | 'http' // any other error status from the engine
  | 'bad-response' // JSON that does not match our schema
  | 'other';

export interface EngineErrorInit {
  endpoint: EngineEndpoint;
  operation: string;
  failure: EngineFailure;
  detail: string;
  code?: string | null;
  statusCode?: number | null;
  cause?: unknown;
}

/** An engine request that failed for a reason other than an expected "no such image". */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly endpoint: EngineEndpoint;
  readonly operation: string;
  readonly failure: EngineFailure;
  readonly detail: string;
  /** errno-style code (`ECONNREFUSED`) when the transport failed. */
  readonly code: string | null;
  readonly statusCode: number | null;

  constructor(init: EngineErrorInit) {
    super(`${init.operation} on ${init.endpoint.host} (${init.endpoint.source}) failed: ${init.detail}`, { cause: init.cause });
    this.endpoint = init.endpoint;
    this.operation = init.operation;
    this.failure = init.failure;
    this.detail = init.detail;
    this.code = init.code ?? null;
    this.statusCode = init.statusCode ?? null;
  }
}

/** Failures of the connection itself: the engine went away, or cannot be reached any more. */
const CONNECTION_FAILURES: ReadonlySet<EngineFailure> = new Set<EngineFailure>([
  'no-socket',
  'refused',
  'permission',
  'timeout',
  'host-not-found',
  'unreachable',
  'reset',
  'tls',
  'tls-files',
  'ssh-auth',
  'not-docker',
]);

/**
 * An engine request that failed because the engine is gone (stopped, socket removed, connection
 * dropped), not because of what was asked: no later request of the same command can succeed.
 */
export function isEngineGone(error: unknown): error is EngineError {
  return error instanceof EngineError && CONNECTION_FAILURES.has(error.failure);
}

const TLS_CODE = /^(?:ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/** Maps what node, docker-modem and ssh2 throw to a failure kind and a short detail. */
export function classifyEngineFailure(error: unknown): Omit<EngineErrorInit, 'endpoint' | 'operation'> {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    statusCode?: unknown;
    level?: unknown;
    message?: unknown;
    notDocker?: unknown;
    json?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : null;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const base = { code, cause: error };
  if (e.notDocker === true) return { ...base, failure: 'not-docker', detail: message };
  if (typeof e.statusCode === 'number') {
    const status = e.statusCode;
    const engineMessage = engineMessageOf(e.json) ?? message.trim();
    if (status === 404) return { ...base, statusCode: status, failure: 'not-found', detail: engineMessage };
    return { ...base, statusCode: status, failure: 'http', detail: `HTTP ${status}: ${engineMessage}` };
  }
  switch (code) {
    case 'ENOENT':
      return { ...base, failure: 'no-socket', detail: message };
    case 'ECONNREFUSED':
      return { ...base, failure: 'refused', detail: message };
    case 'EACCES':
    case 'EPERM':
      return { ...base, failure: 'permission', detail: message };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { ...base, failure: 'host-not-found', detail: message };
    case 'ETIMEDOUT':
      return { ...base, failure: 'timeout', detail: message };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTSOCK':
      return { ...base, failure: 'unreachable', detail: message };
    case 'ECONNRESET':
    case 'EPIPE':
      return { ...base, failure: 'reset', detail: message };
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_VERSION':
      return { ...base, failure: 'not-docker', detail: `does not speak HTTP (${message})` };
  }
  if (code !== null && TLS_CODE.test(code)) return { ...base, failure: 'tls', detail: message };
  // ssh2 marks its errors with a level instead of a code.
  if (e.level === 'client-authentication') return { ...base, failure: 'ssh-auth', detail: message };
  if (typeof e.level === 'string' && e.level.startsWith('client-')) return { ...base, failure: 'unreachable', detail: message };
  return { ...base, failure: 'other', detail: message };
}

function engineMessageOf(json: unknown): string | null {
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return (json as { message: string }).message;
  }
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  return null;
}
