/**
 * What the inventory reads of a local image and of a compose service for the link step: the
 * image's layers, names and platform, the build steps that tell apart images with equal layers,
 * and the build a compose service declares.
 */

export interface LinkableImage {
  readonly id: string;
  /**
   * The config digest, when known. On the containerd image store it differs from `id`, which is
   * then the manifest or index digest: the digest a registry knows the image by, if it came from
   * or went to one.
   */
  readonly configDigest?: string | null;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly diffIds: readonly string[];
  readonly os: string;
  readonly architecture: string;
  readonly variant: string | null;
}

/** One build step, oldest first; enough to tell whether one history is a prefix of another. */
export interface HistoryStep {
  readonly createdBy: string;
  readonly created: number;
}

/**
 * What the user's own files say about how an image is built: a `basewatch link` record (its
 * Dockerfile, args and target) or a compose service with `build:` and `image:`. A link record is
 * the user's explicit word and outranks a compose service.
 */
export interface BuildHint {
  readonly via: 'link' | 'compose';
  /** Normalised image reference the link or service produces. */
  readonly imageRef: string;
  /** The compose file and service; null for a link record. */
  readonly composeFile: string | null;
  readonly service: string | null;
  readonly context: string;
  readonly dockerfile: string | null;
  readonly target: string | null;
  readonly args: Readonly<Record<string, string>>;
  /** Normalised reference of the Dockerfile's final base (with these args/target), when known. */
  readonly baseRef: string | null;
  /**
   * Images the built stage copies from (`COPY --from=<image>`, `RUN --mount=from=<image>`), in it
   * and in the stages it is built FROM: they are bases too, that only a rebuild can refresh.
   */
  readonly copySources: readonly string[];
  /**
   * A compose service's Dockerfile text (or its dockerfile_inline), for matching an existing
   * image's history to it; absent for link records and when it could not be read.
   */
  readonly text?: string;
}

/**
 * The digest the image is itself known by, on the containerd store: its `id` (manifest or index
 * digest). Null on the classic store and Podman, where the id is the config digest.
 */
export function ownManifestDigest(image: LinkableImage): string | null {
  return image.configDigest !== undefined && image.configDigest !== image.id ? image.id : null;
}

/**
 * Images that carry a name (tag, or a RepoDigest left after a newer pull) can serve as bases;
 * so can an image on the containerd store that a pull left nameless (`moby-dangling@…`, empty
 * RepoTags and RepoDigests): it is still known by its own digest.
 */
export function isNamedImage(image: LinkableImage): boolean {
  return image.repoTags.length > 0 || image.repoDigests.length > 0 || ownManifestDigest(image) !== null;
}

/**
 * Ids whose history the linker needs: images that share their exact layer list with another
 * named image. Layers alone cannot tell which of them was built on the other (a Dockerfile of
 * only ENV/CMD lines adds no layer), so the caller fetches their histories.
 */
export function imagesNeedingHistory(images: readonly LinkableImage[]): string[] {
  const byLayers = new Map<string, Set<string>>();
  for (const image of images) {
    if (image.diffIds.length === 0) continue;
    const key = image.diffIds.join(' ');
    const ids = byLayers.get(key) ?? new Set<string>();
    ids.add(image.id);
    byLayers.set(key, ids);
  }
  const tied = new Set([...byLayers].filter(([, ids]) => ids.size > 1).map(([key]) => key));
  const needed = new Set([...tied].flatMap((key) => [...(byLayers.get(key) ?? [])]));
  // An image built on top of a tied layer list needs its own history too: only the history
  // tells which of the tied images it was built on (a RUN that changes nothing adds no layer).
  for (const image of images) {
    let prefix = '';
    for (const diffId of image.diffIds.slice(0, -1)) {
      prefix = prefix === '' ? diffId : `${prefix} ${diffId}`;
      if (tied.has(prefix)) {
        needed.add(image.id);
        break;
      }
    }
  }
  return [...needed];
}
