import type { ImageDetails } from '../../engine/docker-engine.js';
import { type ImageRef, formatImageRef, parseImageRef, repositoryName } from '../../refs/image-ref.js';
import { Refusal } from './rebase-run.js';

/**
 * The new base: `--to`, else the base's own tag (the check's link names it with the tag it knows:
 * from a compose file, a label, or a tag earlier checks saw the digest under). A base known only
 * by its digest takes the one local tag of its repository, with a warning; with several local
 * tags it could be any of them, and the user says which.
 */
export function resolveTarget(to: string | null, baseRef: ImageRef, images: readonly ImageDetails[], warnings: string[]): ImageRef {
  if (to !== null) {
    const parsed = parseImageRef(to);
    if (!parsed.ok) throw new Refusal('failed', [`--to ${to}: ${parsed.error}`]);
    return parsed.ref;
  }
  if (baseRef.tag !== null) return { ...baseRef, digest: null };
  const repository = repositoryName(baseRef);
  const tags = [
    ...new Set(
      images.flatMap((image) =>
        image.repoTags.flatMap((tag) => {
          const parsed = parseImageRef(tag);
          return parsed.ok && repositoryName(parsed.ref) === repository ? [formatImageRef(parsed.ref)] : [];
        }),
      ),
    ),
  ];
  const [only, ...others] = tags;
  const chosen = only === undefined ? null : parseImageRef(only);
  if (chosen?.ok && others.length === 0) {
    warnings.push(`the base is known only by its digest; took ${only}, the one local tag of ${repository} (say --to to choose another)`);
    return { ...chosen.ref, digest: null };
  }
  throw new Refusal('failed', [
    `the base is known only by its digest (${formatImageRef(baseRef)}); name the new base with --to ${repository}:<tag>` +
      (tags.length > 0 ? ` (local tags of that repository: ${tags.join(', ')})` : ''),
  ]);
}
