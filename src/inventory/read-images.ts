/** Reads the local images the linker needs from the engine: details for all, histories for a few. */
import type { EngineClient, ImageDetails } from '../engine/docker-engine.js';
import { EngineError } from '../engine/engine-error.js';
import { type HistoryStep, imagesNeedingHistory, isNamedImage } from './local-image.js';
import { withoutKeepTags } from '../refs/keep-tags.js';
import { mapLimit } from '../util/map-limit.js';
import type { ImageFactsCache } from './image-facts-cache.js';

export interface LocalImages {
  readonly images: readonly ImageDetails[];
  readonly histories: ReadonlyMap<string, readonly HistoryStep[]>;
}

/**
 * Parallel requests to the engine socket: enough to hide latency, few enough not to flood it.
 * Measured on Engine 20.10, 2 busy cores (load 7-9), a cold read of ~900 images (~520 histories),
 * median of 6 interleaved rounds: 4: 1.39 s, 8: 1.20-1.36 s, 16: 0.87-1.06 s, 32: 0.91-1.01 s.
 * 16 is the knee; beyond it the engine only gets busier (project issue 14).
 */
export const ENGINE_CONCURRENCY = 16;

/**
 * `keep`: ids of nameless images to read anyway: bases an earlier check recorded, which Podman
 * leaves with no name at all after a pull moved their tag (pipeline/seen-tags). Default none.
 * With `cache`, the engine is asked once for its list and then only about images the cache has
 * not seen (an image ID never changes its config or history); names always come from the list.
 * `onProgress` hears how many of the listed images have been read, of how many.
 */
export async function readLocalImages(
  engine: EngineClient,
  keep: ReadonlySet<string> = new Set(),
  cache?: ImageFactsCache,
  onProgress?: (read: number, total: number) => void,
): Promise<LocalImages> {
  const listedAt = Date.now();
  const summaries = await engine.listImages();
  // On the classic store an image with neither tag nor RepoDigest is a build leftover: no one's
  // named base. On the containerd store a pull that moves a tag leaves the old image without
  // either (`moby-dangling@…`), yet known by its Id (a manifest digest): inspect tells them apart.
  // Podman leaves such a base out of the default list too (an untagged image with children is an
  // "intermediate" one there): a recorded base is inspected by id, whether listed or not.
  const listed = new Map(summaries.map((image) => [image.id, image]));
  const ids = [...listed.keys(), ...[...keep].filter((id) => !listed.has(id))];
  let read = 0;
  onProgress?.(0, ids.length);
  const details = await mapLimit(ids, ENGINE_CONCURRENCY, async (id): Promise<ImageDetails | null> => {
    const summary = listed.get(id);
    const known = summary === undefined ? undefined : cache?.facts(id, listedAt);
    if (summary !== undefined && known !== undefined) {
      onProgress?.(++read, ids.length);
      return { ...known, repoTags: [...summary.repoTags], repoDigests: [...summary.repoDigests] };
    }
    const inspected = await engine.inspectImage(id);
    if (inspected !== null) cache?.remember(inspected, listedAt);
    onProgress?.(++read, ids.length);
    return inspected;
  });
  // An image removed between list and inspect is simply gone. basewatch's own keep tags
  // (basewatch-rollback:…) are not names of the user's: the images they keep are no one's base.
  const images = details
    .filter((image): image is ImageDetails => image !== null && (isBaseCandidate(image) || keep.has(image.id)))
    .map((image) => ({ ...image, repoTags: withoutKeepTags(image.repoTags) }));
  const histories = new Map<string, readonly HistoryStep[]>();
  const gone = new Set<string>();
  await mapLimit(imagesNeedingHistory(images), ENGINE_CONCURRENCY, async (id) => {
    const known = cache?.history(id) ?? null;
    if (known !== null) {
      histories.set(id, known);
      return;
    }
    try {
      // Oldest step first, as the engine client returns it.
      // Only the steps' commands and times: which step added a layer (more requests) is not needed here.
      const entries = await engine.imageSteps(id);
      const steps = entries.map((entry) => ({ createdBy: entry.createdBy, created: entry.created }));
      histories.set(id, steps);
      cache?.rememberHistory(id, steps);
    } catch (error) {
      // Removed since the list (a `docker image prune` meanwhile): gone, as for inspect above.
      if (!(error instanceof EngineError && error.statusCode === 404)) throw error;
      gone.add(id);
    }
  });
  // The daemon's cache lives as long as it does: bounded like the CLI's file.
  cache?.bound();
  return { images: gone.size === 0 ? images : images.filter((image) => !gone.has(image.id)), histories };
}

/**
 * Named images, and on the containerd store the nameless ones a pull or an import left behind
 * (`moby-dangling@…`). The legacy builder's step images are nameless there too, and listed with
 * them: they have a parent, which a pulled, imported or loaded image never has.
 */
function isBaseCandidate(image: ImageDetails): boolean {
  if (image.repoTags.length > 0 || image.repoDigests.length > 0) return true;
  return isNamedImage(image) && image.parent === null;
}
