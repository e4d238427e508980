/**
 * A build link: the user's own word (`basewatch link <image> <Dockerfile>`) on how an image is
 * built. Like a compose service it is evidence the inventory gathers; record/build-links keeps
 * the file, and callers hand what they read down to the stages that use it.
 */
import { z } from 'zod';
import { normalizeImageRef } from '../refs/image-ref.js';

export const BuildLinkSchema = z.object({
  /** Normalised reference (`docker.io/library/app:1`): the image this Dockerfile builds. */
  image: z.string().min(1),
  /** Absolute path. */
  dockerfile: z.string().min(1),
  /** Absolute path of the build context. */
  context: z.string().min(1),
  target: z.string().min(1).nullable(),
  buildArgs: z.record(z.string(), z.string()),
  linkedAt: z.string(),
});
export type BuildLink = z.infer<typeof BuildLinkSchema>;

export type BuildLinksReading =
  | {
      readonly ok: true;
      readonly links: readonly BuildLink[];
      /** Set when the file was not a regular file or was oversized, and was moved aside. */
      readonly warning?: string;
    }
  | { readonly ok: false; readonly file: string; readonly message: string };

/** The link for any of these image names (tags, as the user or the engine writes them). */
export function findBuildLink(links: readonly BuildLink[], names: readonly string[]): BuildLink | null {
  const wanted = new Set(names.flatMap((name) => normalizeImageRef(name) ?? []));
  return links.find((link) => wanted.has(link.image)) ?? null;
}
