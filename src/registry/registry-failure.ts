/**
 * Expected registry failures are values: a 404 or a 429 is an answer about one image, not a
 * reason to stop checking the others. Messages name the registry and the cause, then say what
 * to do; they never contain a credential, token or Authorization header.
 */

export type RegistryFailureKind =
  | 'not-found'
  | 'unauthorized'
  | 'denied'
  | 'rate-limited'
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'protocol';

export interface RegistryFailure {
  readonly ok: false;
  readonly kind: RegistryFailureKind;
  /** The registry as users write it: `docker.io`, `registry.corp:5000`. */
  readonly registry: string;
  /** `<registry>: <cause>; <what to do>`. */
  readonly message: string;
  /** Set on `rate-limited` when the registry said when to come back. */
  readonly retryAfterSeconds?: number;
  /** Set on a `protocol` failure whose answer was over the size bound for it (and so not read). */
  readonly tooLarge?: true;
}

export function registryFailure(
  kind: RegistryFailureKind,
  registry: string,
  cause: string,
  retryAfterSeconds?: number,
): RegistryFailure {
  const failure = { ok: false as const, kind, registry, message: `${registry}: ${cause}` };
  return retryAfterSeconds === undefined ? failure : { ...failure, retryAfterSeconds };
}

/** Thrown for misuse of the client by our own code (a reference without tag or digest): a bug. */
export class RegistryUsageError extends Error {
  override readonly name = 'RegistryUsageError';
}

/** Thrown when the user's registry settings cannot be used (an unreadable `caFiles` entry). */
export class RegistryConfigError extends Error {
  override readonly name = 'RegistryConfigError';
  /** The setting at fault, e.g. `caFiles`. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message);
    this.setting = setting;
  }
}

/** What went wrong below HTTP: the transport's view, before it is phrased for a user. */
export interface TransportError {
  readonly kind: 'unreachable' | 'timeout' | 'tls' | 'protocol';
  /** Short cause: `connection refused`, `certificate signed by an unknown authority`, … */
  readonly detail: string;
  /** errno/undici/OpenSSL code, when there was one. */
  readonly code: string | null;
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
};

const TIMEOUT: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
  ETIMEDOUT: 'connection timed out',
};

const TLS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate signed by an unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate signed by an unknown authority (self-signed CA)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate is not valid for this host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS (plain HTTP?)',
  EPROTO: 'TLS handshake failed',
};

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** All errors in a cause chain, including AggregateError members (happy-eyeballs connects). */
function errorChain(error: unknown): ErrorLike[] {
  const seen: ErrorLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.length < 20) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.includes(next as ErrorLike)) continue;
    const item = next as ErrorLike;
    seen.push(item);
    if (item.cause !== undefined) queue.push(item.cause);
    if (Array.isArray(item.errors)) queue.push(...(item.errors as unknown[]));
  }
  return seen;
}

/** Turns a fetch rejection into a {@link TransportError}; never echoes request headers. */
export function classifyTransportError(error: unknown): TransportError {
  const chain = errorChain(error);
  const codes = chain.map((e) => (typeof e.code === 'string' ? e.code : null)).filter((c): c is string => c !== null);
  for (const code of codes) {
    if (code in TLS) return { kind: 'tls', detail: TLS[code] as string, code };
    if (/CERT|SSL|TLS/.test(code)) return { kind: 'tls', detail: `TLS error ${code}`, code };
  }
  for (const code of codes) {
    if (code in TIMEOUT) return { kind: 'timeout', detail: TIMEOUT[code] as string, code };
  }
  for (const code of codes) {
    if (code in UNREACHABLE) return { kind: 'unreachable', detail: UNREACHABLE[code] as string, code };
  }
  const messages = chain.map((e) => (typeof e.message === 'string' ? e.message : '')).filter((m) => m !== '');
  if (messages.some((m) => /certificate|ssl|tls/i.test(m))) return { kind: 'tls', detail: 'TLS handshake failed', code: codes[0] ?? null };
  const last = messages[messages.length - 1] ?? 'request failed';
  return { kind: 'unreachable', detail: last.slice(0, 200), code: codes[0] ?? null };
}
