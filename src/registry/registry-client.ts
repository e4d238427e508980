/**
 * Our registry client: manifest HEAD/GET with auth, rate-limit bookkeeping, bounded
 * concurrency and single-flight. Every expected failure comes back as a RegistryFailure.
 */
import { DOCKER_HUB } from '../refs/docker-hub.js';
import type { ImageRef } from '../refs/image-ref.js';
import { SingleFlight } from '../util/single-flight.js';
import type { CredentialSource } from './credentials.js';
import { type HttpResponse, type HttpResult, MAX_ERROR_BODY_BYTES, createHttpTransport } from './http-transport.js';
import { type ImageManifest, MANIFEST_ACCEPT, type ManifestIndex, RegistryErrorBody, isSha256Digest } from './manifest-schemas.js';
import { bareMediaType, parseManifest, sha256Digest } from './parse-manifest.js';
import { type RateLimitState, parseRateLimitHeaders, parseRetryAfter } from './rate-limit.js';
import { type ListTagsOptions, type TagList, listTagPages } from './list-tags.js';
import { RegistryAuth, loginCommand } from './registry-auth.js';
import { type RegistryEndpoint, type TransportPlan, resolveEndpoint } from './registry-endpoint.js';
import { type RegistryFailure, RegistryUsageError, registryFailure } from './registry-failure.js';
import { Semaphore } from './request-gate.js';

export interface RegistryClientOptions {
  /** Registries spoken to without TLS verification, falling back to plain HTTP (Docker's `insecure-registries`: `host[:port]` or IPv4 CIDR). Default none. */
  readonly insecureRegistries?: readonly string[];
  /** Speak plain HTTP to loopback registries (127.0.0.0/8, localhost, ::1) as Docker does. Default true. */
  readonly loopbackPlainHttp?: boolean;
  /** PEM CA files trusted in addition to Node's roots. Default none. Unreadable files throw RegistryUsageError. */
  readonly caFiles?: readonly string[];
  /** Budget for one HTTP exchange (connect, headers, body), ms. Default 15 000. */
  readonly timeoutMs?: number;
  /** Requests in flight at once, over all registries. Default 6. */
  readonly maxConcurrency?: number;
  /** Where credentials come from; see `dockerCredentials()`. Default: anonymous only. */
  readonly credentials?: CredentialSource;
  /** Default `basewatch`. */
  readonly userAgent?: string;
  /** Longest total wait for 429 retries (at most 2) before answering `rate-limited`, ms. Default 30 000. */
  readonly maxRateLimitWaitMs?: number;
}

export interface ManifestHead {
  readonly ok: true;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export type FetchedManifest =
  | { readonly ok: true; readonly kind: 'index'; readonly digest: string; readonly mediaType: string; readonly size: number; readonly manifest: ManifestIndex }
  | { readonly ok: true; readonly kind: 'image'; readonly digest: string; readonly mediaType: string; readonly size: number; readonly manifest: ImageManifest };

export interface RegistryClient {
  /** `HEAD /v2/<repo>/manifests/<digest|tag>`; a GET only when the registry omits Docker-Content-Digest. */
  headManifest(ref: ImageRef): Promise<ManifestHead | RegistryFailure>;
  /** The parsed manifest or index; by-digest answers are verified against the digest. */
  getManifest(ref: ImageRef): Promise<FetchedManifest | RegistryFailure>;
  /**
   * `GET /v2/<repo>/blobs/<digest>` for a small blob (an image config), verified against the
   * digest. Never used for layers: the engine pulls those.
   */
  getBlob(ref: ImageRef, digest: string): Promise<{ readonly ok: true; readonly bytes: Buffer } | RegistryFailure>;
  /**
   * Every tag of the repository (`GET /v2/<repo>/tags/list`, following `Link` pages), with the
   * same auth and rate-limit handling as manifests. The ref's tag and digest are ignored.
   */
  listTags(ref: ImageRef, options?: ListTagsOptions): Promise<TagList | RegistryFailure>;
  /** The rate-limit headers last seen from each registry. */
  rateLimits(): RateLimitState[];
  /** Closes pooled connections. */
  close(): Promise<void>;
}

/**
 * Size bounds on what a registry may send, enforced while the body streams in (see
 * http-transport.ts). A manifest or index over 4 MiB is refused (distribution refuses to store
 * one that large); an image config is a blob of the same kind. Tag lists have bounds of their
 * own (list-tags.ts), token answers too (registry-auth.ts), and a non-success answer is read
 * only up to MAX_ERROR_BODY_BYTES.
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_RATE_LIMIT_RETRIES = 2;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function referenceOf(ref: ImageRef): { reference: string; what: string } {
  if (ref.digest !== null) return { reference: ref.digest, what: `${ref.repository}@${ref.digest}` };
  if (ref.tag !== null) return { reference: ref.tag, what: `${ref.repository}:${ref.tag}` };
  throw new RegistryUsageError(`image reference ${ref.registry}/${ref.repository} has neither tag nor digest`);
}

function formatWindow(seconds: number | null): string {
  if (seconds === null) return '';
  return seconds % 3600 === 0 ? ` per ${seconds / 3600} h` : ` per ${seconds} s`;
}

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const timeoutMs = options.timeoutMs ?? 15_000;
  if (!(timeoutMs > 0)) throw new RegistryUsageError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  const maxConcurrency = options.maxConcurrency ?? 6;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) throw new RegistryUsageError(`maxConcurrency must be a positive integer, got ${maxConcurrency}`);
  const insecure = options.insecureRegistries ?? [];
  const userAgent = options.userAgent ?? 'basewatch';
  const maxWaitMs = options.maxRateLimitWaitMs ?? 30_000;
  const transport = createHttpTransport({ caFiles: options.caFiles ?? [], timeoutMs });
  const semaphore = new Semaphore(maxConcurrency);
  // One tag listing at a time: each may hold up to a page and TAG_LIST_BOUNDS.maxTags tags in
  // memory, and several at once would add up; a listing is not what a check waits on most.
  const tagListGate = new Semaphore(1);
  const flights = new SingleFlight();
  const auth = new RegistryAuth({ transport, semaphore, userAgent, credentials: options.credentials, insecureRegistries: insecure });
  const limits = new Map<string, RateLimitState>();
  /** The transport that worked for an insecure registry (https or http), so we probe once. */
  const workingPlan = new Map<string, TransportPlan>();

  async function send(
    endpoint: RegistryEndpoint,
    method: 'GET' | 'HEAD',
    path: string,
    headers: Record<string, string>,
    maxBodyBytes: number,
  ): Promise<HttpResult & { origin: string }> {
    const known = workingPlan.get(endpoint.registry);
    const plans = known ? [known] : endpoint.plans;
    let last: (HttpResult & { origin: string }) | null = null;
    for (const plan of plans) {
      const origin = `${plan.scheme}://${endpoint.apiHost}`;
      const result = await semaphore.run(() =>
        transport.send({ method, url: origin + path, headers, verifyTls: plan.verifyTls, maxBodyBytes }),
      );
      last = { ...result, origin };
      // Docker's insecure-registry fallback: https first; a handshake that fails because the
      // server speaks plain HTTP (wrong version number, reset) sends us to http.
      const tryNext = !result.ok && plan.scheme === 'https' && (result.error.kind === 'tls' || result.error.code === 'ECONNRESET');
      if (!tryNext) {
        if (result.ok && plans.length > 1) workingPlan.set(endpoint.registry, plan);
        break;
      }
    }
    return last as HttpResult & { origin: string };
  }

  function transportFailure(endpoint: RegistryEndpoint, origin: string, error: Extract<HttpResult, { ok: false }>['error'], what: string): RegistryFailure {
    switch (error.kind) {
      case 'timeout':
        return registryFailure('timeout', endpoint.registry, `${origin} did not answer within ${timeoutMs / 1000} s (${error.detail}); the registry or the network may be down or slow`);
      case 'tls':
        return registryFailure(
          'tls',
          endpoint.registry,
          `TLS error talking to ${origin}: ${error.detail}; if it uses a private CA add the CA file to caFiles, or list ${endpoint.registry} in insecureRegistries`,
        );
      case 'too-large':
        return { ...registryFailure('protocol', endpoint.registry, `${origin} sent ${error.detail} for ${what}, more than basewatch reads of such an answer; not read further (check what the registry serves under that name)`), tooLarge: true };
      case 'protocol':
        return registryFailure('protocol', endpoint.registry, `${origin}: ${error.detail}`);
      case 'unreachable':
        return registryFailure('unreachable', endpoint.registry, `cannot reach ${origin} (${error.detail}); check that the registry is up and the address is right`);
    }
  }

  function rateLimitFailure(endpoint: RegistryEndpoint, what: string, retries: number, retryAfter: number | null): RegistryFailure {
    const budget = limits.get(endpoint.registry);
    const parts = [`429 too many requests for ${what}`];
    if (budget) parts.push(`${budget.remaining} of ${budget.limit} pulls left${formatWindow(budget.windowSeconds)}`);
    if (retries > 0) parts.push(`still limited after ${retries} ${retries === 1 ? 'retry' : 'retries'}`);
    let advice = retryAfter !== null ? `try again in ${retryAfter} s` : 'try again later';
    if (endpoint.registry === DOCKER_HUB) advice += `; ${loginCommand(DOCKER_HUB)} raises the limit for anonymous pulls`;
    return registryFailure('rate-limited', endpoint.registry, `${parts.join(', ')}; ${advice}`, retryAfter ?? undefined);
  }

  /** One logical request: proactive auth, one retry after a 401, bounded waits on 429. */
  /**
   * Registries that did not answer within the timeout: not asked again by this client (one check,
   * one cycle). A hung registry then costs one timeout, however many bases, digests, tag lists and
   * tokens the check wanted of it, instead of one per request in a row.
   */
  const hung = new Map<string, RegistryFailure>();

  function noteHung(registry: string, failure: RegistryFailure): RegistryFailure {
    if (failure.kind === 'timeout' && !hung.has(registry)) hung.set(registry, failure);
    return failure;
  }

  async function exchange(
    endpoint: RegistryEndpoint,
    repository: string,
    method: 'GET' | 'HEAD',
    path: string,
    what: string,
    maxBodyBytes: number,
  ): Promise<HttpResponse | RegistryFailure> {
    const down = hung.get(endpoint.registry);
    if (down !== undefined) {
      const cause = down.message.startsWith(`${endpoint.registry}: `) ? down.message.slice(endpoint.registry.length + 2) : down.message;
      return registryFailure('timeout', endpoint.registry, `${cause}; not asked again in this check`);
    }
    const scope = `repository:${repository}:pull`;
    let authorization = await auth.authorizationFor(endpoint, scope);
    if (!authorization.ok) return noteHung(endpoint.registry, authorization);
    let answeredChallenge = false;
    let rateRetries = 0;
    let waitedMs = 0;
    while (true) {
      const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT, 'User-Agent': userAgent };
      if (authorization.header !== null) headers.Authorization = authorization.header;
      const sent = await send(endpoint, method, path, headers, maxBodyBytes);
      if (!sent.ok) return noteHung(endpoint.registry, transportFailure(endpoint, sent.origin, sent.error, what));
      const response = sent.response;
      const seen = parseRateLimitHeaders(response.headers);
      if (seen) limits.set(endpoint.registry, { registry: endpoint.registry, ...seen, seenAt: new Date().toISOString() });

      if (response.status === 401) {
        if (answeredChallenge) return auth.unauthorized(endpoint.registry, what);
        answeredChallenge = true;
        authorization = await auth.answerChallenge(endpoint, scope, response.headers.get('www-authenticate'), authorization.header);
        if (!authorization.ok) return noteHung(endpoint.registry, authorization);
        continue;
      }
      if (response.status === 429) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        const waitMs = (retryAfter ?? 2 ** rateRetries) * 1000;
        if (rateRetries < MAX_RATE_LIMIT_RETRIES && waitedMs + waitMs <= maxWaitMs) {
          rateRetries++;
          waitedMs += waitMs;
          await sleep(waitMs);
          continue;
        }
        return rateLimitFailure(endpoint, what, rateRetries, retryAfter);
      }
      return response;
    }
  }

  async function statusFailure(endpoint: RegistryEndpoint, response: HttpResponse, what: string): Promise<RegistryFailure> {
    const { status, statusText } = response;
    let code: string | undefined;
    if (response.body.length > 0 && response.body.length < MAX_ERROR_BODY_BYTES) {
      try {
        code = RegistryErrorBody.safeParse(JSON.parse(response.body.toString('utf8'))).data?.errors[0]?.code;
      } catch {
        // not a registry error body; the status says enough
      }
    }
    if (status === 404) {
      const cause = code === 'NAME_UNKNOWN' ? 'repository not found' : code === 'MANIFEST_UNKNOWN' ? 'tag or digest not found' : 'not found';
      return registryFailure('not-found', endpoint.registry, `404 ${cause}: ${what}; check the name and tag`);
    }
    if (status === 403) {
      const { credential, source } = await auth.credentialFor(endpoint.registry);
      const who = credential === null ? 'anonymous pulls' : `the credentials from ${source}`;
      return registryFailure('denied', endpoint.registry, `403 denied: ${what} is not readable with ${who}; check that this account may pull it`);
    }
    if (status >= 500) {
      return registryFailure('unreachable', endpoint.registry, `answered ${status} ${statusText} for ${what}; the registry has a problem, try again later`);
    }
    return registryFailure('protocol', endpoint.registry, `unexpected answer ${status} ${statusText} for ${what}`);
  }

  async function fetchManifest(ref: ImageRef): Promise<FetchedManifest | RegistryFailure> {
    const { reference, what } = referenceOf(ref);
    const endpoint = resolveEndpoint(ref.registry, insecure, options.loopbackPlainHttp ?? true);
    const response = await exchange(endpoint, ref.repository, 'GET', `/v2/${ref.repository}/manifests/${reference}`, what, MAX_MANIFEST_BYTES);
    if (!('status' in response)) return response;
    if (response.status !== 200) return statusFailure(endpoint, response, what);
    const computed = sha256Digest(response.body);
    let digest = computed;
    if (ref.digest !== null) {
      if (isSha256Digest(ref.digest) && computed !== ref.digest) {
        return registryFailure('protocol', endpoint.registry, `the manifest sent for ${what} does not match its digest (got ${computed}); the registry or a proxy altered it`);
      }
      digest = ref.digest;
    } else {
      // Same source of truth as HEAD, so a GET never disagrees with the HEAD it follows.
      const header = response.headers.get('docker-content-digest');
      if (header !== null && isSha256Digest(header)) digest = header;
    }
    const parsed = parseManifest(response.body, response.headers.get('content-type'));
    if (!parsed.ok) return registryFailure('protocol', endpoint.registry, `${what}: ${parsed.problem}`);
    const size = response.body.length;
    return parsed.kind === 'index'
      ? { ok: true, kind: 'index', digest, mediaType: parsed.mediaType, size, manifest: parsed.manifest }
      : { ok: true, kind: 'image', digest, mediaType: parsed.mediaType, size, manifest: parsed.manifest };
  }

  async function headManifest(ref: ImageRef): Promise<ManifestHead | RegistryFailure> {
    const { reference, what } = referenceOf(ref);
    const endpoint = resolveEndpoint(ref.registry, insecure, options.loopbackPlainHttp ?? true);
    const response = await exchange(endpoint, ref.repository, 'HEAD', `/v2/${ref.repository}/manifests/${reference}`, what, 0);
    if (!('status' in response)) return response;
    if (response.status !== 200) return statusFailure(endpoint, response, what);
    const digest = response.headers.get('docker-content-digest');
    const mediaType = bareMediaType(response.headers.get('content-type'));
    const lengthHeader = response.headers.get('content-length');
    const length = lengthHeader === null ? Number.NaN : Number(lengthHeader);
    if (digest === null || !isSha256Digest(digest) || mediaType === null || !Number.isInteger(length)) {
      // Some registries and proxies omit Docker-Content-Digest on HEAD: the body's hash is the digest.
      const fetched = await getManifest(ref);
      if (!fetched.ok) return fetched;
      return { ok: true, digest: fetched.digest, mediaType: fetched.mediaType, size: fetched.size };
    }
    return { ok: true, digest, mediaType, size: length };
  }

  const key = (method: string, ref: ImageRef): string => `${method} ${resolveEndpoint(ref.registry, insecure, options.loopbackPlainHttp ?? true).registry}/${ref.repository}/${referenceOf(ref).reference}`;

  // async so that misuse (a reference without tag or digest) rejects instead of throwing.
  async function getManifest(ref: ImageRef): Promise<FetchedManifest | RegistryFailure> {
    return flights.run(key('GET', ref), () => fetchManifest(ref));
  }

  async function fetchBlob(ref: ImageRef, digest: string): Promise<{ ok: true; bytes: Buffer } | RegistryFailure> {
    const what = `${ref.repository}@${digest} (blob)`;
    const endpoint = resolveEndpoint(ref.registry, insecure, options.loopbackPlainHttp ?? true);
    if (!isSha256Digest(digest)) throw new RegistryUsageError(`not a sha256 digest: ${digest}`);
    const response = await exchange(endpoint, ref.repository, 'GET', `/v2/${ref.repository}/blobs/${digest}`, what, MAX_CONFIG_BYTES);
    if (!('status' in response)) return response;
    if (response.status !== 200) return statusFailure(endpoint, response, what);
    const computed = sha256Digest(response.body);
    if (computed !== digest) {
      return registryFailure('protocol', endpoint.registry, `the blob sent for ${what} does not match its digest (got ${computed})`);
    }
    return { ok: true, bytes: response.body };
  }

  async function listTags(ref: ImageRef, listOptions: ListTagsOptions = {}): Promise<TagList | RegistryFailure> {
    const endpoint = resolveEndpoint(ref.registry, insecure, options.loopbackPlainHttp ?? true);
    return listTagPages(
      {
        get: (path, maxBodyBytes) => exchange(endpoint, ref.repository, 'GET', path, `${ref.repository} (tag list)`, maxBodyBytes),
        statusFailure: (response, what) => statusFailure(endpoint, response, what),
      },
      ref,
      listOptions,
    );
  }

  return {
    listTags: async (ref, listOptions) =>
      flights.run(`TAGS ${resolveEndpoint(ref.registry, insecure, options.loopbackPlainHttp ?? true).registry}/${ref.repository}`, () =>
        tagListGate.run(() => listTags(ref, listOptions)),
      ),
    headManifest: async (ref) => flights.run(key('HEAD', ref), () => headManifest(ref)),
    getManifest,
    getBlob: async (ref, digest) => flights.run(`BLOB ${key('GET', { ...ref, tag: null, digest })}`, () => fetchBlob(ref, digest)),
    rateLimits: () => [...limits.values()].map((state) => ({ ...state })),
    close: () => transport.close(),
  };
}
