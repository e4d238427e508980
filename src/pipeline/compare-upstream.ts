/**
 * Decides whether a base is behind upstream. Pure, so every case of "no false alarms" is a
 * table test. The registry client gathers the facts; this module only compares them.
 *
 * The question is never "did the tag's digest change" but "would a pull of the tag give this
 * platform a different image". A multi-arch tag's digest (the index) changes whenever any
 * platform is republished, so a changed digest is followed down to this platform's manifest and
 * its config digest, which is exactly the image ID a pull would create.
 */

/** What the registry says the tag is now, for this platform. */
export interface UpstreamNow {
  /** The tag's digest (an index or a single manifest). */
  readonly digest: string;
  /** This platform's manifest (equal to `digest` for a single-platform tag). */
  readonly platformDigest: string;
  /** Config digest of that manifest: the image ID a pull gives. */
  readonly configDigest: string;
}

/** What is known locally about the base an image (or a Dockerfile) uses. */
export interface BaseKnown {
  /** Manifest or index digest it was built on (a RepoDigest, a label, a pin), if known. */
  readonly digest: string | null;
  /** Image ID of the base as present locally, if known (equals the config digest of its manifest). */
  readonly configDigest: string | null;
}

export type Comparison =
  | { readonly status: 'current'; readonly reason: string }
  | { readonly status: 'outdated'; readonly reason: string }
  /** The registry's answer for the known digest is needed to decide. */
  | { readonly status: 'need-known-digest' }
  | { readonly status: 'unknown'; readonly reason: string };

export function compareWithUpstream(known: BaseKnown, upstream: UpstreamNow): Comparison {
  if (known.digest !== null && (known.digest === upstream.digest || known.digest === upstream.platformDigest)) {
    return { status: 'current', reason: 'upstream digest unchanged' };
  }
  if (known.configDigest !== null) {
    return known.configDigest === upstream.configDigest
      ? { status: 'current', reason: 'upstream changed other platforms only; this platform is unchanged' }
      : { status: 'outdated', reason: 'upstream has a new image for this platform' };
  }
  if (known.digest !== null) return { status: 'need-known-digest' };
  return { status: 'unknown', reason: 'the digest it was built on is not known, so it cannot be compared' };
}

/** Second step, once the registry resolved the known digest to its config for this platform. */
export function compareResolvedKnown(
  knownConfigDigest: string,
  upstream: UpstreamNow,
): Extract<Comparison, { status: 'current' | 'outdated' }> {
  return knownConfigDigest === upstream.configDigest
    ? { status: 'current', reason: 'upstream changed other platforms only; this platform is unchanged' }
    : { status: 'outdated', reason: 'upstream has a new image for this platform' };
}
