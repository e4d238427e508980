import type { ImageDetails } from '../engine/docker-engine.js';
import { formatImageRef, parseImageRef, repoDigestIn, repoDigestsIn, repositoryName, tagMatches } from '../refs/image-ref.js';

export interface LocalCopy {
  /** Local image id (the config digest on the classic store, the manifest or index digest on containerd's). */
  readonly id: string;
  /** Its config digest (what a pull of the same image would give); null until read on the containerd store. */
  readonly configDigest: string | null;
  readonly image: ImageDetails;
  /** Its RepoDigest in the reference's repository, when it was pulled or pushed. */
  readonly digest: string | null;
}

/**
 * What a plain `docker build` would use for a reference: the local image with that tag, or for a
 * pinned reference the local image that has that digest. Null when there is none.
 */
export function localCopyOf(images: readonly ImageDetails[], ref: string): LocalCopy | null {
  const parsed = parseImageRef(ref);
  if (!parsed.ok) return null;
  const repository = repositoryName(parsed.ref);
  if (parsed.ref.digest !== null) {
    const pinned = images.find((image) => repoDigestsIn(image.repoDigests, repository).includes(parsed.ref.digest as string));
    return pinned === undefined ? null : { id: pinned.id, configDigest: pinned.configDigest, digest: parsed.ref.digest, image: pinned };
  }
  const tagged = formatImageRef(parsed.ref);
  const image = images.find((candidate) => candidate.repoTags.some((tag) => tagMatches(tag, tagged)));
  return image === undefined ? null : { id: image.id, configDigest: image.configDigest, digest: repoDigestIn(image.repoDigests, repository), image };
}
