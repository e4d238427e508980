/**
 * Registry HTTP: node:http and node:https over keep-alive agents with our TLS roots and a
 * whole-request deadline, redirects followed as fetch does, bodies read up to a limit. Returns
 * values for every network outcome; the caller phrases them.
 * Node's own client, not undici's fetch (project issue 14): undici is some 130 modules and a
 * WebAssembly HTTP parser compiled on the first request, ~50 ms of a warm `check` that makes
 * five HEAD requests; node:http is part of Node's start-up snapshot and parses natively.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { RegistryConfigError, type TransportError, classifyTransportError } from './registry-failure.js';

export interface TransportOptions {
  /** Extra PEM CA files trusted in addition to Node's bundled roots. */
  readonly caFiles?: readonly string[];
  /** Whole-request budget (connect, headers and body), ms. */
  readonly timeoutMs: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** False only for https to a registry declared insecure. */
  readonly verifyTls: boolean;
  /** Bodies larger than this end in a `too-large` result instead of being buffered. */
  readonly maxBodyBytes: number;
}

/** The answer's headers, looked up by name in any case (as fetch's `Headers.get`). */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ResponseHeaders;
  /** Empty for HEAD. */
  readonly body: Buffer;
}

export type HttpResult =
  | { readonly ok: true; readonly response: HttpResponse }
  | { readonly ok: false; readonly error: TransportError | { kind: 'too-large'; detail: string; code: null } };

export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResult>;
  close(): Promise<void>;
}

function readCaFiles(files: readonly string[]): string[] {
  return files.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new RegistryConfigError(
        'caFiles',
        `caFiles: cannot read the CA file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); fix the path with \`basewatch config set caFiles <file,...>\` or remove it with \`basewatch config unset caFiles\``,
      );
    }
  });
}

class TooLarge extends Error {}

/** `4 MiB`, `256 KiB`, `100 bytes`: how a size bound is named in messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * What is kept of an answer that is not a success (404, 401, 500 …): only its start is read,
 * for the registry's error code; the rest is dropped, whatever size the server announces.
 */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** As fetch: at most 20 hops, then the request fails. */
const MAX_REDIRECTS = 20;

class IncomingHeaders implements ResponseHeaders {
  readonly #headers: http.IncomingHttpHeaders;
  constructor(headers: http.IncomingHttpHeaders) {
    this.#headers = headers;
  }
  get(name: string): string | null {
    const value = this.#headers[name.toLowerCase()];
    if (value === undefined) return null;
    // Repeated headers are joined as `Headers.get` joins them.
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

/**
 * The body as it streams in: whole up to `limit` bytes, else a TooLarge (the stream destroyed,
 * never buffered whole); with `truncate`, its first `limit` bytes and the rest dropped.
 */
function readBody(response: http.IncomingMessage, limit: number, truncate: boolean): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const stop = (outcome: () => void): void => {
      // Settled first: destroying the answer makes it report the reset we caused.
      outcome();
      response.removeAllListeners('data');
      response.destroy();
    };
    response.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      chunks.push(chunk);
      if (total <= limit) return;
      if (truncate) stop(() => resolve(Buffer.concat(chunks).subarray(0, limit)));
      else stop(() => reject(new TooLarge()));
    });
    response.once('end', () => resolve(Buffer.concat(chunks)));
    response.once('error', reject);
    // A connection closed mid-body ends with 'aborted' and no 'end'.
    response.once('aborted', () => reject(Object.assign(new Error('connection closed before the whole answer'), { code: 'ECONNRESET' })));
  });
}

interface Hop {
  readonly method: HttpRequest['method'];
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/**
 * The request a redirect asks for, as fetch makes it: a 303 (and a 301/302 after a POST) turns
 * into a GET without body; credentials never cross to another origin.
 */
function redirectedHop(hop: Hop, status: number, location: string): Hop {
  const url = new URL(location, hop.url);
  const toGet = (status === 303 && hop.method !== 'HEAD') || ((status === 301 || status === 302) && hop.method === 'POST');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(hop.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' && url.origin !== hop.url.origin) continue;
    if (toGet && (lower === 'content-type' || lower === 'content-length')) continue;
    headers[name] = value;
  }
  return { method: toGet ? 'GET' : hop.method, url, headers, body: toGet ? undefined : hop.body };
}

export function createHttpTransport(options: TransportOptions): HttpTransport {
  const extraCas = readCaFiles(options.caFiles ?? []);
  // `ca` replaces Node's roots rather than adding to them, so pass both.
  const ca = extraCas.length > 0 ? [...rootCertificates, ...extraCas] : undefined;
  const agents: Array<http.Agent> = [];
  let plain: http.Agent | null = null;
  let verifying: https.Agent | null = null;
  let unverified: https.Agent | null = null;
  const agentFor = (url: URL, verifyTls: boolean): http.Agent => {
    if (url.protocol === 'http:') return (plain ??= remember(new http.Agent({ keepAlive: true })));
    if (verifyTls) return (verifying ??= remember(new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) })));
    return (unverified ??= remember(new https.Agent({ keepAlive: true, rejectUnauthorized: false })));
  };
  const remember = <A extends http.Agent>(agent: A): A => {
    agents.push(agent);
    return agent;
  };

  /** One hop: the answer's head, its body still to read. */
  const exchange = (hop: Hop, verifyTls: boolean, signal: AbortSignal): Promise<http.IncomingMessage> => {
    if (hop.url.protocol !== 'http:' && hop.url.protocol !== 'https:') {
      return Promise.reject(new Error(`cannot follow a redirect to ${hop.url.protocol} URLs`));
    }
    const client = hop.url.protocol === 'http:' ? http : https;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const headers = { ...hop.headers, ...(hop.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(hop.body)) } : {}) };
      const request = client.request(hop.url, { method: hop.method, headers, agent: agentFor(hop.url, verifyTls), signal }, resolve);
      request.once('error', reject);
      request.end(hop.body);
    });
  };

  return {
    async send(request) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.timeoutMs);
      let pending: http.IncomingMessage | null = null;
      try {
        let hop: Hop = { method: request.method, url: new URL(request.url), headers: { ...request.headers }, body: request.body };
        let response = await exchange(hop, request.verifyTls, controller.signal);
        for (let hops = 0; response.statusCode !== undefined && [301, 302, 303, 307, 308].includes(response.statusCode); hops++) {
          const location = response.headers.location;
          // A redirect without a Location is the answer itself, as fetch takes it.
          if (location === undefined) break;
          response.resume();
          if (hops >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
          // Registries may redirect to storage; credentials stay with the registry's origin.
          hop = redirectedHop(hop, response.statusCode, location);
          response = await exchange(hop, request.verifyTls, controller.signal);
        }
        pending = response;
        const status = response.statusCode ?? 0;
        const declared = Number(response.headers['content-length'] ?? Number.NaN);
        const success = status >= 200 && status <= 299;
        if (hop.method !== 'HEAD' && success && declared > request.maxBodyBytes) {
          // Announced too large: not a byte of it is read.
          response.destroy();
          throw new TooLarge();
        }
        const body =
          hop.method === 'HEAD'
            ? (response.resume(), Buffer.alloc(0))
            : success
              ? await readBody(response, request.maxBodyBytes, false)
              : await readBody(response, Math.min(MAX_ERROR_BODY_BYTES, request.maxBodyBytes), true);
        return {
          ok: true,
          response: { status, statusText: response.statusMessage ?? '', headers: new IncomingHeaders(response.headers), body },
        };
      } catch (error) {
        pending?.destroy();
        if (error instanceof TooLarge) {
          return { ok: false, error: { kind: 'too-large', detail: `more than ${formatBytes(request.maxBodyBytes)}`, code: null } };
        }
        if (controller.signal.aborted) {
          return { ok: false, error: { kind: 'timeout', detail: `no complete answer within ${options.timeoutMs / 1000} s`, code: null } };
        }
        return { ok: false, error: classifyTransportError(error) };
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      for (const agent of agents) agent.destroy();
    },
  };
}
