/**
 * Registry authentication (distribution token spec): remembers each registry's challenge so
 * later requests carry auth up front instead of paying a 401 first, caches bearer tokens per
 * (registry, scope) until shortly before they expire, and asks for credentials once per
 * registry per few minutes.
 *
 * Identity tokens (what `docker login` stores when a registry hands out refresh tokens) are
 * exchanged with `POST realm` `grant_type=refresh_token` as the Docker CLI does; they cannot
 * be used for Basic auth.
 */
import { DOCKER_HUB } from '../refs/docker-hub.js';
import { SingleFlight } from '../util/single-flight.js';
import type { CredentialLookup, CredentialSource } from './credentials.js';
import type { HttpTransport } from './http-transport.js';
import { TokenResponse } from './manifest-schemas.js';
import type { Semaphore } from './request-gate.js';
import { type RegistryEndpoint, isInsecureRegistry, isLoopbackHost } from './registry-endpoint.js';
import { type RegistryFailure, registryFailure } from './registry-failure.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

type Challenge = { scheme: 'bearer'; realm: string; service: string | null } | { scheme: 'basic' };

export type AuthHeader = { readonly ok: true; readonly header: string | null } | RegistryFailure;

export interface RegistryAuthOptions {
  readonly transport: HttpTransport;
  readonly semaphore: Semaphore;
  readonly userAgent: string;
  readonly credentials: CredentialSource | undefined;
  readonly insecureRegistries: readonly string[];
  readonly now?: () => number;
}

/** The token spec's default lifetime when `expires_in` is missing. */
const DEFAULT_TOKEN_SECONDS = 60;
const CREDENTIAL_TTL_MS = 5 * 60_000;
const MAX_TOKEN_BODY_BYTES = 256 * 1024;
const CLIENT_ID = 'basewatch';

const NO_CREDENTIAL: CredentialLookup = { credential: null, source: 'no credential source configured', problem: null };

/** `docker login` as the user would type it for this registry. */
export function loginCommand(registry: string): string {
  return registry === DOCKER_HUB ? '`docker login`' : `\`docker login ${registry}\``;
}

export class RegistryAuth {
  readonly #options: RegistryAuthOptions;
  readonly #now: () => number;
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, { header: string; refreshAt: number }>();
  readonly #credentials = new Map<string, { lookup: Promise<CredentialLookup>; at: number }>();
  readonly #flights = new SingleFlight();

  constructor(options: RegistryAuthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  credentialFor(registry: string): Promise<CredentialLookup> {
    const source = this.#options.credentials;
    if (source === undefined) return Promise.resolve(NO_CREDENTIAL);
    const cached = this.#credentials.get(registry);
    if (cached && this.#now() - cached.at < CREDENTIAL_TTL_MS) return cached.lookup;
    const lookup = source(registry).catch(
      (error: unknown): CredentialLookup => ({
        credential: null,
        source: 'credential lookup',
        // Only the error's class: a throwing custom source could have put anything in the message.
        problem: `credential lookup failed (${error instanceof Error ? error.name : 'error'})`,
      }),
    );
    this.#credentials.set(registry, { lookup, at: this.#now() });
    return lookup;
  }

  /** Auth to send before the registry asks, from what it asked for last time. */
  async authorizationFor(endpoint: RegistryEndpoint, scope: string): Promise<AuthHeader> {
    const challenge = this.#challenges.get(endpoint.registry);
    if (challenge === undefined) return { ok: true, header: null };
    return this.#headerFor(endpoint, scope, challenge, null);
  }

  /**
   * After a 401: learn the challenge and get auth for one retry. `rejected` is the
   * Authorization header the 401 answered (null when none was sent); a cached token is reused
   * only when it is not that one (another request may have fetched it meanwhile).
   */
  async answerChallenge(endpoint: RegistryEndpoint, scope: string, wwwAuthenticate: string | null, rejected: string | null): Promise<AuthHeader> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    const basic = challenges.find((c) => c.scheme === 'basic');
    let challenge: Challenge;
    if (bearer !== undefined) {
      challenge = { scheme: 'bearer', realm: bearer.params.realm as string, service: bearer.params.service ?? null };
    } else if (basic !== undefined) {
      challenge = { scheme: 'basic' };
    } else {
      return registryFailure('protocol', endpoint.registry, '401 unauthorized without a Bearer or Basic challenge in Www-Authenticate');
    }
    this.#challenges.set(endpoint.registry, challenge);
    return this.#headerFor(endpoint, scope, challenge, rejected ?? '');
  }

  /** The failure for a 401 that fresh auth did not cure (or that we had nothing to answer with). */
  async unauthorized(registry: string, what: string): Promise<RegistryFailure> {
    return registryFailure('unauthorized', registry, `401 unauthorized for ${what}: ${await this.#credentialStory(registry)}`);
  }

  async #credentialStory(registry: string): Promise<string> {
    if (this.#options.credentials === undefined) return 'anonymous access was refused and no credential source is configured';
    const lookup = await this.credentialFor(registry);
    if (lookup.credential === null && lookup.problem !== null) {
      return `credentials could not be read (${lookup.problem}); fix that or run ${loginCommand(registry)}`;
    }
    if (lookup.credential === null) {
      return `no credentials found for this registry (looked in ${lookup.source}); run ${loginCommand(registry)}`;
    }
    const who = lookup.credential.identityToken ? 'identity token' : `user "${lookup.credential.username}"`;
    return `the registry rejected the credentials from ${lookup.source} (${who}); run ${loginCommand(registry)} again`;
  }

  /** `rejected`: null when asking up front, else the header a 401 refused ('' for none). */
  async #headerFor(endpoint: RegistryEndpoint, scope: string, challenge: Challenge, rejected: string | null): Promise<AuthHeader> {
    const registry = endpoint.registry;
    if (challenge.scheme === 'basic') {
      const { credential } = await this.credentialFor(registry);
      if (credential === null) return this.unauthorized(registry, 'Basic auth');
      if (credential.identityToken) {
        return registryFailure(
          'unauthorized',
          registry,
          `401 unauthorized: the stored credential is an identity token, which this registry's Basic auth cannot use; run ${loginCommand(registry)} with a password`,
        );
      }
      const basic = Buffer.from(`${credential.username}:${credential.secret}`).toString('base64');
      return { ok: true, header: `Basic ${basic}` };
    }
    const key = `${registry}|${scope}`;
    const usable = (): string | null => {
      const cached = this.#tokens.get(key);
      return cached && this.#now() < cached.refreshAt && cached.header !== rejected ? cached.header : null;
    };
    const cached = usable();
    if (cached !== null) return { ok: true, header: cached };
    // Many requests may hit the same 401 at once: one token request answers them all.
    return this.#flights.run(key, async () => {
      const again = usable();
      if (again !== null) return { ok: true, header: again };
      const result = await this.#fetchToken(registry, scope, challenge);
      if (!result.ok) return result;
      this.#tokens.set(key, { header: result.header, refreshAt: result.refreshAt });
      return { ok: true, header: result.header };
    });
  }

  async #fetchToken(
    registry: string,
    scope: string,
    challenge: { realm: string; service: string | null },
  ): Promise<{ ok: true; header: string; refreshAt: number } | RegistryFailure> {
    let realm: URL;
    try {
      realm = new URL(challenge.realm);
    } catch {
      return registryFailure('protocol', registry, 'the Bearer challenge names a realm that is not a URL');
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      return registryFailure('protocol', registry, `the Bearer challenge names a ${realm.protocol} realm`);
    }
    const realmName = `${realm.protocol}//${realm.host}${realm.pathname}`;
    // A realm over plain HTTP elsewhere would carry the password in the clear to whatever host the
    // registry names: ask it for an anonymous token instead.
    const credential = realmMayCarryCredentials(realm, this.#options.insecureRegistries) ? (await this.credentialFor(registry)).credential : null;
    const headers: Record<string, string> = { 'User-Agent': this.#options.userAgent, Accept: 'application/json' };
    let method: 'GET' | 'POST' = 'GET';
    let body: string | undefined;
    if (credential?.identityToken) {
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.secret, client_id: CLIENT_ID, scope });
      if (challenge.service !== null) form.set('service', challenge.service);
      body = form.toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      if (challenge.service !== null) realm.searchParams.set('service', challenge.service);
      realm.searchParams.append('scope', scope);
      if (credential !== null) {
        headers.Authorization = `Basic ${Buffer.from(`${credential.username}:${credential.secret}`).toString('base64')}`;
      }
    }
    const verifyTls = !isInsecureRegistry(realm.host, this.#options.insecureRegistries);
    const started = this.#now();
    const result = await this.#options.semaphore.run(() =>
      this.#options.transport.send({
        method,
        url: realm.toString(),
        headers,
        ...(body !== undefined ? { body } : {}),
        verifyTls,
        maxBodyBytes: MAX_TOKEN_BODY_BYTES,
      }),
    );
    if (!result.ok) {
      const kind = result.error.kind === 'too-large' ? 'protocol' : result.error.kind;
      return registryFailure(kind, registry, `token server ${realmName}: ${result.error.detail}`);
    }
    const { status, statusText } = result.response;
    if (status === 401 || status === 403) {
      return this.unauthorized(registry, `token server ${realmName} (${status} ${statusText})`);
    }
    if (status === 429) return registryFailure('rate-limited', registry, `token server ${realmName} answered 429 too many requests`);
    if (status < 200 || status > 299) {
      return registryFailure(status >= 500 ? 'unreachable' : 'protocol', registry, `token server ${realmName} answered ${status} ${statusText}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(result.response.body.toString('utf8'));
    } catch {
      return registryFailure('protocol', registry, `token server ${realmName} answered with something that is not JSON`);
    }
    const parsed = TokenResponse.safeParse(json);
    const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
    if (!parsed.success || token === undefined) {
      return registryFailure('protocol', registry, `token server ${realmName} answered without a token`);
    }
    const lifetimeMs = (parsed.data.expires_in ?? DEFAULT_TOKEN_SECONDS) * 1000;
    // Refresh a little early so a token does not expire between our check and the registry's.
    const margin = Math.min(30_000, lifetimeMs / 4);
    return { ok: true, header: `Bearer ${token}`, refreshAt: started + lifetimeMs - margin };
  }
}

/** Credentials go only to an https realm, or an http one on loopback or on a registry listed in insecureRegistries. */
export function realmMayCarryCredentials(realm: URL, insecureRegistries: readonly string[]): boolean {
  if (realm.protocol === 'https:') return true;
  return isLoopbackHost(realm.host) || isInsecureRegistry(realm.host, insecureRegistries);
}
