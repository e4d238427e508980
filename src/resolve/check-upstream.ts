/**
 * Asks the registries whether each base moved, for the platform that matters, and turns the
 * answers into statuses. Each (reference, platform, known digest) is resolved once per check
 * however many images share it; the registry client also shares identical requests in flight.
 */
import { type ImageRef, formatImageRef, parseImageRef } from '../refs/image-ref.js';
import type { PlatformSpec } from '../refs/platform.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { RegistryFailure } from '../registry/registry-failure.js';
import { type NoPlatformFailure, type ResolveResult, resolvePlatformManifest } from '../registry/resolve-upstream.js';
import { SingleFlight } from '../util/single-flight.js';
import { type BaseKnown, compareResolvedKnown, compareWithUpstream } from './compare-upstream.js';

export type VerdictStatus = 'current' | 'outdated' | 'unknown' | 'error';

export interface UpstreamVerdict {
  readonly status: VerdictStatus;
  /** The tag's digest upstream now, when the registry answered. */
  readonly latest: string | null;
  readonly reason: string;
  readonly checkedAt: string;
  /** Set when the status is `unknown` because the registry rate-limited the question: exit 5 says so. */
  readonly rateLimited?: true;
}

/** A tag resolution worth remembering: what the tag meant, for one platform, at a time. */
export interface UpstreamObservation {
  readonly ref: string;
  readonly platform: string;
  readonly digest: string;
  readonly platformDigest: string | null;
  readonly configDigest: string | null;
  readonly checkedAt: string;
}

export function parsePlatform(text: string): PlatformSpec | null {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture) return null;
  return { os, architecture, variant: variant ?? null };
}

function platformText(platform: PlatformSpec): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/**
 * A rate limit says nothing about the image and will pass by itself ("unknown"); every other
 * failure (down, denied, not found, TLS) is an "error" the user may have to act on.
 */
function failureVerdict(failure: RegistryFailure | NoPlatformFailure, checkedAt: string): UpstreamVerdict {
  if (failure.kind === 'rate-limited') return { status: 'unknown', latest: null, reason: failure.message, checkedAt, rateLimited: true };
  return { status: 'error', latest: null, reason: failure.message, checkedAt };
}

export interface UpstreamChecker {
  check(ref: string, platform: PlatformSpec, known: BaseKnown): Promise<UpstreamVerdict>;
  /** Every tag resolution made, one per (ref, platform). */
  observations(): UpstreamObservation[];
}

/**
 * `onProgress` hears how many registry questions (one per reference, platform and known digest)
 * have been answered, of how many asked so far: the checks ask as they go, so the total grows.
 */
export function createUpstreamChecker(
  client: RegistryClient,
  now: () => Date = () => new Date(),
  onProgress?: (answered: number, asked: number) => void,
): UpstreamChecker {
  const resolutions = new SingleFlight<ResolveResult>({ settled: 'remember' });
  const seen = new Map<string, UpstreamObservation>();
  const asked = new Set<string>();
  let answered = 0;

  const resolve = (ref: ImageRef, platform: PlatformSpec, knownDigest: string | null): Promise<ResolveResult> => {
    const key = `${formatImageRef(ref)} ${platformText(platform)} ${knownDigest ?? ''}`;
    return resolutions.run(key, () => {
      asked.add(key);
      onProgress?.(answered, asked.size);
      return resolvePlatformManifest(client, ref, platform, { knownDigest }).finally(() => onProgress?.(++answered, asked.size));
    });
  };

  const observe = (ref: ImageRef, platform: PlatformSpec, result: ResolveResult, checkedAt: string): void => {
    if (!result.ok) return;
    const key = `${formatImageRef(ref)} ${platformText(platform)}`;
    const previous = seen.get(key);
    // An "unchanged" answer carries only the digest; keep a fuller observation when there is one.
    if (result.unchanged && previous !== undefined) return;
    seen.set(key, {
      ref: formatImageRef(ref),
      platform: platformText(platform),
      digest: result.digest,
      platformDigest: result.unchanged ? null : result.platformDigest,
      configDigest: result.unchanged ? null : result.configDigest,
      checkedAt,
    });
  };

  return {
    async check(refText, platform, known) {
      const checkedAt = now().toISOString();
      const parsed = parseImageRef(refText);
      if (!parsed.ok) return { status: 'error', latest: null, reason: parsed.error, checkedAt };
      const tagRef = parsed.ref;
      if (tagRef.tag === null) {
        return {
          status: 'unknown',
          latest: null,
          reason: 'only the digest of its base is known, not the tag to compare it with',
          checkedAt,
        };
      }
      const result = await resolve({ ...tagRef, digest: null }, platform, known.digest);
      observe({ ...tagRef, digest: null }, platform, result, checkedAt);
      if (!result.ok) return failureVerdict(result, checkedAt);
      if (result.unchanged) return { status: 'current', latest: result.digest, reason: 'upstream digest unchanged', checkedAt };

      const upstream = { digest: result.digest, platformDigest: result.platformDigest, configDigest: result.configDigest, platform: platformText(platform) };
      const comparison = compareWithUpstream(known, upstream);
      if (comparison.status !== 'need-known-digest') {
        return { status: comparison.status, reason: comparison.reason, latest: result.digest, checkedAt };
      }

      // Only a digest is known (a label, a pin, an image whose base was re-pulled): ask what it
      // was for this platform, to tell "another platform changed" from "ours changed".
      const knownDigest = known.digest as string;
      const old = await resolve({ ...tagRef, tag: null, digest: knownDigest }, platform, null);
      if (!old.ok) {
        if (old.kind === 'not-found') {
          // A single-platform tag that moved is a new image. Under a multi-arch index the move may
          // have been another platform's, and the old index is gone: this cannot be decided.
          return {
            status: result.isIndex ? 'unknown' : 'outdated',
            latest: result.digest,
            reason: result.isIndex
              ? `the digest it was built on (${knownDigest}) is no longer in the registry, so whether this platform changed cannot be told; pull the base to compare`
              : `the tag moved and the digest it was built on (${knownDigest}) is no longer in the registry`,
            checkedAt,
          };
        }
        return { ...failureVerdict(old, checkedAt), latest: result.digest };
      }
      if (old.unchanged) return { status: 'current', latest: result.digest, reason: 'upstream digest unchanged', checkedAt };
      const resolved = compareResolvedKnown(old.configDigest, upstream);
      return { status: resolved.status, reason: resolved.reason, latest: result.digest, checkedAt };
    },
    observations() {
      return [...seen.values()];
    },
  };
}
