/**
 * Image references, parsed and normalised the way Docker does it
 * (distribution/reference `ParseNormalizedNamed` + `TagNameOnly`):
 *   python                  -> docker.io/library/python:latest
 *   ghcr.io/org/app:1       -> ghcr.io/org/app:1
 *   localhost:5000/base@sha256:… -> localhost:5000/base@sha256:…
 * A first path component is a registry host when it contains "." or ":" or is "localhost".
 */
import { DOCKER_HUB, isDockerHubHost } from './docker-hub.js';

export interface ImageRef {
  /** Registry host (with port), `docker.io` for Docker Hub. */
  readonly registry: string;
  /** Repository path inside the registry, `library/python` for official images. */
  readonly repository: string;
  /** Tag, or null when the reference names a digest only. */
  readonly tag: string | null;
  /** `sha256:<hex>` when the reference is pinned, else null. */
  readonly digest: string | null;
}

export type ImageRefResult =
  | { readonly ok: true; readonly ref: ImageRef }
  | { readonly ok: false; readonly error: string };

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

function validDomain(domain: string): boolean {
  let host = domain;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return false;
    port = host.slice(end + 1);
    if (port !== '' && !/^:\d+$/.test(port)) return false;
    return /^[0-9a-fA-F:.]+$/.test(host.slice(1, end));
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    port = host.slice(colon + 1);
    host = host.slice(0, colon);
    if (!/^\d+$/.test(port)) return false;
  }
  return host.split('.').every((part) => DOMAIN_COMPONENT.test(part));
}

/**
 * Answers already given, by input: linking an engine of hundreds of images parses the same few
 * hundred tags thousands of times (image × candidate base; project issue 14). Results are
 * immutable, so one is shared. Bounded for a long-running daemon: emptied when full.
 */
const parsedRefs = new Map<string, ImageRefResult>();
const PARSED_REFS_LIMIT = 20_000;

/** Parses a reference as `docker pull` would accept it, normalising Docker Hub names. */
export function parseImageRef(input: string): ImageRefResult {
  const known = parsedRefs.get(input);
  if (known !== undefined) return known;
  const result = parseImageRefText(input);
  if (result.ok) Object.freeze(result.ref);
  Object.freeze(result);
  if (parsedRefs.size >= PARSED_REFS_LIMIT) parsedRefs.clear();
  parsedRefs.set(input, result);
  return result;
}

function parseImageRefText(input: string): ImageRefResult {
  const text = input.trim();
  if (text === '') return { ok: false, error: 'empty image reference' };
  if (/\s/.test(text)) return { ok: false, error: `invalid image reference "${input}": contains whitespace` };

  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { ok: false, error: `invalid digest "${digest}" in "${input}"` };
    if (digest.startsWith('sha256:') && !SHA256.test(digest)) {
      return { ok: false, error: `invalid sha256 digest "${digest}" in "${input}": expected 64 lowercase hex characters` };
    }
  }

  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, error: `invalid tag "${tag}" in "${input}"` };
  }

  let registry = DOCKER_HUB;
  let repository = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0 && isRegistryHost(rest.slice(0, firstSlash))) {
    registry = rest.slice(0, firstSlash);
    repository = rest.slice(firstSlash + 1);
    if (!validDomain(registry)) return { ok: false, error: `invalid registry host "${registry}" in "${input}"` };
  }
  if (isDockerHubHost(registry)) registry = DOCKER_HUB;
  if (repository === '') return { ok: false, error: `invalid image reference "${input}": no repository name` };
  if (repository !== repository.toLowerCase()) {
    return { ok: false, error: `invalid image reference "${input}": repository name must be lowercase` };
  }
  const components = repository.split('/');
  const bad = components.find((c) => !PATH_COMPONENT.test(c));
  if (bad !== undefined) return { ok: false, error: `invalid image reference "${input}": bad path component "${bad}"` };
  if (registry === DOCKER_HUB && components.length === 1) repository = `library/${repository}`;
  if (registry.length + 1 + repository.length > 255) {
    return { ok: false, error: `invalid image reference "${input}": name longer than 255 characters` };
  }

  if (tag === null && digest === null) tag = 'latest';
  return { ok: true, ref: { registry, repository, tag, digest } };
}

/** Like {@link parseImageRef} but throws; for references known to be valid. */
export function mustParseImageRef(input: string): ImageRef {
  const result = parseImageRef(input);
  if (!result.ok) throw new TypeError(result.error);
  return result.ref;
}

/** `registry/repository` without tag or digest. */
export function repositoryName(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The fully normalised form: `docker.io/library/python:3.12-slim[@sha256:…]`. */
export function formatImageRef(ref: ImageRef): string {
  return repositoryName(ref) + (ref.tag !== null ? `:${ref.tag}` : '') + (ref.digest !== null ? `@${ref.digest}` : '');
}

/** Normalises a reference string; returns null when it is not a valid reference. */
export function normalizeImageRef(input: string): string | null {
  const result = parseImageRef(input);
  return result.ok ? formatImageRef(result.ref) : null;
}

/** The short form Docker prints: `python:3.12-slim`, `ghcr.io/org/app:1`. */
export function familiarImageRef(ref: ImageRef): string {
  let name = repositoryName(ref);
  if (ref.registry === DOCKER_HUB) {
    // As Docker's FamiliarName: `library/` goes only before a one-part name, so that the short name
    // parses back to the same repository (`library/library/x` stays as it is).
    const rest = ref.repository.slice('library/'.length);
    name = ref.repository.startsWith('library/') && !rest.includes('/') ? rest : ref.repository;
  }
  return name + (ref.tag !== null ? `:${ref.tag}` : '') + (ref.digest !== null ? `@${ref.digest}` : '');
}

/** The same reference without its digest (the tag a pin refers to). */
export function withoutDigest(ref: ImageRef): ImageRef {
  return { ...ref, digest: null, tag: ref.tag ?? 'latest' };
}

/**
 * One registry under two names: `localhost:5000` and `127.0.0.1:5000` are the same loopback
 * registry (Docker Hub's aliases are normalised when a reference is parsed). Names stay as the user
 * wrote them, since the engine keeps them apart as tags; only comparisons go through this. A mirror
 * on another host is another repository, whatever it holds.
 */
function canonicalRegistry(registry: string): string {
  return registry.toLowerCase().replace(/^localhost(?=:\d+$|$)/, '127.0.0.1');
}

/** `registry/repository` with the registry in its canonical name, for comparing repositories. */
export function repositoryKey(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : canonicalRegistry(repository.slice(0, slash)) + repository.slice(slash);
}

/** Whether two references name one repository (see {@link repositoryKey}). */
export function sameRepository(a: ImageRef, b: ImageRef): boolean {
  return repositoryKey(repositoryName(a)) === repositoryKey(repositoryName(b));
}

/**
 * Every digest an image's RepoDigests record for one repository (`registry/repository`). An
 * image re-pulled after another platform was republished has several; all name this image.
 */
export function repoDigestsIn(repoDigests: readonly string[], repository: string): string[] {
  const wanted = repositoryKey(repository);
  return repoDigests.flatMap((entry) => {
    const parsed = parseImageRef(entry);
    return parsed.ok && repositoryKey(repositoryName(parsed.ref)) === wanted && parsed.ref.digest !== null ? [parsed.ref.digest] : [];
  });
}

/** One digest the RepoDigests record for the repository (the first), or null. */
export function repoDigestIn(repoDigests: readonly string[], repository: string): string | null {
  return repoDigestsIn(repoDigests, repository)[0] ?? null;
}

/** True when a tag (as the engine lists it) names the same image reference as `ref` (normalised; one registry under two names counts once). */
export function tagMatches(tag: string, ref: string): boolean {
  const parsed = parseImageRef(tag);
  const wanted = parseImageRef(ref);
  if (!parsed.ok || !wanted.ok) return false;
  return sameRepository(parsed.ref, wanted.ref) && parsed.ref.tag === wanted.ref.tag && parsed.ref.digest === wanted.ref.digest;
}
