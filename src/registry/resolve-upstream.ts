/**
 * What a base tag means upstream for one platform. An index digest that moved while this
 * platform's child stayed put is not an update (another architecture was republished), so
 * callers compare `platformDigest`, not `digest`.
 *
 * Cost: one HEAD; when the caller's `knownDigest` still matches, nothing else. Otherwise GETs
 * by digest (the index, then the child), which pins both to what the HEAD saw and lets
 * single-flight share them between images. A reference that already names a digest needs no
 * HEAD to pin it: its GET verifies the bytes against that digest (one round trip fewer, and the
 * same count against Docker Hub's pull limit, which counts GETs).
 */
import type { ImageRef } from '../refs/image-ref.js';
import { type PlatformSpec, formatPlatform } from '../refs/platform.js';
import { isAttestationEntry, selectPlatformManifest } from './select-platform.js';
import type { RegistryClient } from './registry-client.js';
import { type RegistryFailure, registryFailure } from './registry-failure.js';

export interface ResolvedPlatformManifest {
  readonly ok: true;
  readonly unchanged: false;
  /** What the tag (or digest) resolves to: the index digest for multi-arch images. */
  readonly digest: string;
  /** The manifest for this platform; equal to `digest` for a single-platform image. */
  readonly platformDigest: string;
  /** That manifest's config digest: the local image ID after `docker pull`. */
  readonly configDigest: string;
  readonly isIndex: boolean;
}

/** The HEAD digest equals `knownDigest`: nothing was fetched beyond the HEAD. */
export interface UnchangedManifest {
  readonly ok: true;
  readonly unchanged: true;
  readonly digest: string;
}

export interface NoPlatformFailure {
  readonly ok: false;
  readonly kind: 'no-platform';
  readonly registry: string;
  readonly message: string;
  /** Platforms the index does offer (`linux/amd64`, `linux/arm64/v8`), attestations left out. */
  readonly available: readonly string[];
}

export interface ResolveOptions {
  /** The digest recorded last time (e.g. from RepoDigests); when the tag still points there, stop after the HEAD. */
  readonly knownDigest?: string | null;
}

export type ResolveResult = ResolvedPlatformManifest | UnchangedManifest | RegistryFailure | NoPlatformFailure;

export async function resolvePlatformManifest(
  client: RegistryClient,
  ref: ImageRef,
  platform: PlatformSpec,
  options: ResolveOptions = {},
): Promise<ResolveResult> {
  let digest = ref.digest;
  if (digest === null || options.knownDigest != null) {
    const head = await client.headManifest(ref);
    if (!head.ok) return head;
    if (options.knownDigest != null && options.knownDigest === head.digest) return { ok: true, unchanged: true, digest: head.digest };
    digest = head.digest;
  }

  const top = await client.getManifest({ ...ref, tag: null, digest });
  if (!top.ok) return top;
  if (top.kind === 'image') {
    return { ok: true, unchanged: false, digest: top.digest, platformDigest: top.digest, configDigest: top.manifest.config.digest, isIndex: false };
  }

  const entry = selectPlatformManifest(top.manifest, platform);
  const name = `${ref.repository}${ref.tag !== null ? `:${ref.tag}` : ''}`;
  if (entry === null) {
    const available = top.manifest.manifests
      .filter((child) => child.platform !== undefined && !isAttestationEntry(child))
      .map((child) => formatPlatform(child.platform as PlatformSpec));
    return {
      ok: false,
      kind: 'no-platform',
      registry: ref.registry,
      message: `${ref.registry}: ${name} has no image for ${formatPlatform(platform)} (it has ${available.length > 0 ? available.join(', ') : 'no platform entries'})`,
      available,
    };
  }
  const child = await client.getManifest({ ...ref, tag: null, digest: entry.digest });
  if (!child.ok) return child;
  if (child.kind !== 'image') {
    return registryFailure('protocol', ref.registry, `${name}: the ${formatPlatform(platform)} entry of the index is itself an index, which Docker does not pull`);
  }
  return { ok: true, unchanged: false, digest: top.digest, platformDigest: child.digest, configDigest: child.manifest.config.digest, isIndex: true };
}
