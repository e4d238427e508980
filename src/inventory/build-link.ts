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
  /** `--build-arg KEY=VALUE`: kept here (the file is private, mode 0600) because a rebuild needs them. */
  buildArgs: z.record(z.string(), z.string()),
  /**
   * `--build-arg KEY` without a value: only the key is kept, and KEY's value is read from the
   * environment when the image is rebuilt (as `docker build --build-arg KEY` does); the way to
   * pass a secret without writing it to disk. Unset then: the arg is not passed.
   */
  envBuildArgs: z.array(z.string()).optional(),
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

/** The args a rebuild of `link` passes: its own values, and the environment's for its `envBuildArgs`. */
export function linkBuildArgs(link: Pick<BuildLink, 'buildArgs' | 'envBuildArgs'>, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const fromEnv = (link.envBuildArgs ?? []).flatMap((key) => {
    const value = Object.hasOwn(env, key) ? env[key] : undefined;
    return value === undefined ? [] : [[key, value] as const];
  });
  return { ...link.buildArgs, ...Object.fromEntries(fromEnv) };
}

/** The link for any of these image names (tags, as the user or the engine writes them). */
export function findBuildLink(links: readonly BuildLink[], names: readonly string[]): BuildLink | null {
  const wanted = new Set(names.flatMap((name) => normalizeImageRef(name) ?? []));
  return links.find((link) => wanted.has(link.image)) ?? null;
}
