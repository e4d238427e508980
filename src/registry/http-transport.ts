/**
 * The one place that imports undici: fetch over an Agent with our TLS roots and timeouts,
 * bodies read up to a limit. Returns values for every network outcome; the caller phrases them.
 * undici (some 130 modules) loads on the first request, not with this module: a run that asks
 * no registry (`check --offline`, `status`) does not pay for it.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Agent } from 'undici';
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

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
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

async function readPrefix(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  while (total < limit) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    chunks.push(value);
    total += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return Buffer.concat(chunks).subarray(0, limit);
}

/** The body, read as it streams in; past `limit` bytes the stream is cancelled, never buffered whole. */
async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new TooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

type Undici = typeof import('undici');
let undiciModule: Promise<Undici> | null = null;
function loadUndici(): Promise<Undici> {
  undiciModule ??= import('undici');
  return undiciModule;
}

export function createHttpTransport(options: TransportOptions): HttpTransport {
  const extraCas = readCaFiles(options.caFiles ?? []);
  // `ca` replaces Node's roots rather than adding to them, so pass both.
  const ca = extraCas.length > 0 ? [...rootCertificates, ...extraCas] : undefined;
  const timeouts = { headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs };
  let verifying: Agent | null = null;
  let unverified: Agent | null = null;
  const agentFor = (undici: Undici, verifyTls: boolean): Agent => {
    if (verifyTls) {
      verifying ??= new undici.Agent({ ...timeouts, connect: { timeout: options.timeoutMs, ...(ca ? { ca } : {}) } });
      return verifying;
    }
    unverified ??= new undici.Agent({ ...timeouts, connect: { timeout: options.timeoutMs, rejectUnauthorized: false } });
    return unverified;
  };

  return {
    async send(request) {
      const undici = await loadUndici();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), options.timeoutMs);
      try {
        const response = await undici.fetch(request.url, {
          method: request.method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          dispatcher: agentFor(undici, request.verifyTls),
          signal: controller.signal,
          // Registries may redirect to storage; fetch drops Authorization on cross-origin hops.
          redirect: 'follow',
        });
        const stream = response.body as ReadableStream<Uint8Array> | null;
        const declared = Number(response.headers.get('content-length') ?? Number.NaN);
        const success = response.status >= 200 && response.status <= 299;
        if (request.method !== 'HEAD' && success && declared > request.maxBodyBytes) {
          // Announced too large: not a byte of it is read.
          await stream?.cancel().catch(() => {});
          throw new TooLarge();
        }
        const body =
          request.method === 'HEAD'
            ? (await stream?.cancel().catch(() => {}), Buffer.alloc(0))
            : success
              ? await readBounded(stream, request.maxBodyBytes)
              : await readPrefix(stream, Math.min(MAX_ERROR_BODY_BYTES, request.maxBodyBytes));
        return {
          ok: true,
          response: { status: response.status, statusText: response.statusText, headers: response.headers as unknown as Headers, body },
        };
      } catch (error) {
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
      await Promise.all([verifying?.close(), unverified?.close()]);
    },
  };
}
