/**
 * What the checks have seen of each upstream tag, for this machine's platform: the resolve step
 * observes it, the record step keeps it in the state file, the plan reads when a digest was first
 * seen (for `minimumAge`).
 */
import { z } from 'zod';

export const UpstreamSeenSchema = z.object({
  ref: z.string(),
  platform: z.string(),
  /** What the tag resolved to (index or manifest digest). */
  digest: z.string(),
  /** The manifest for this platform. */
  platformDigest: z.string().nullable(),
  /** Image ID a pull of it gives (the manifest's config digest). */
  configDigest: z.string().nullable(),
  firstSeenAt: z.string(),
  checkedAt: z.string(),
});
export type UpstreamSeen = z.infer<typeof UpstreamSeenSchema>;

/** The key of an upstream tag for one platform in the state file. */
export function upstreamKey(ref: string, platform: string): string {
  return `${ref} ${platform}`;
}
