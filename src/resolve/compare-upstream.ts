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
  /** The platform compared, as Docker writes it (`linux/amd64`, `linux/arm64/v8`), for reasons. */
  readonly platform: string;
}

/** What is known locally about the base an image (or a Dockerfile) uses. */
export interface BaseKnown {
  /** Manifest or index digest it was built on (a RepoDigest, a label, a pin), if known. */
  readonly digest: string | null;
  /**
   * Config digest of the base as present locally, if known. Not its image ID: on the containerd
   * image store that is the manifest or index digest, which never equals a config digest.
   */
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
  if (known.configDigest !== null && known.digest === null) {
    // A base that was loaded, imported or built here (never pulled or pushed) has no RepoDigest:
    // its image ID is all there is to compare. Equal IDs say a pull would give the same image, not
    // that upstream changed anything, so the reason says how it was compared, not what moved.
    const how = '(compared by config; no registry digest is known for the local base)';
    return known.configDigest === upstream.configDigest
      ? { status: 'current', reason: `matches upstream for ${upstream.platform} ${how}` }
      : { status: 'outdated', reason: `upstream has another image for ${upstream.platform} ${how}` };
  }
  if (known.configDigest !== null) return compareResolvedKnown(known.configDigest, upstream);
  if (known.digest !== null) return { status: 'need-known-digest' };
  return { status: 'unknown', reason: 'the digest it was built on is not known, so it cannot be compared' };
}

/**
 * Second step, once the registry resolved the known digest to its config for this platform; also
 * the first when the local base's image ID is known with its digest. The tag's digest moved away
 * from the known one: did this platform's image move with it?
 */
export function compareResolvedKnown(
  knownConfigDigest: string,
  upstream: UpstreamNow,
): Extract<Comparison, { status: 'current' | 'outdated' }> {
  if (knownConfigDigest !== upstream.configDigest) return { status: 'outdated', reason: 'upstream has a new image for this platform' };
  // Only an index can have changed elsewhere; a single manifest that moved to the same config was
  // republished (another compression or manifest format) with the same image.
  return upstream.digest === upstream.platformDigest
    ? { status: 'current', reason: `upstream republished the tag with the same image for ${upstream.platform}` }
    : { status: 'current', reason: 'upstream changed other platforms only; this platform is unchanged' };
}
