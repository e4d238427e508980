/**
 * Never downgrade. A base built here under a registry name (a company base rebuilt this morning,
 * not pushed yet) is newer than the registry's copy of that name: "rebasing onto the latest" would
 * move the app back onto the older copy. Pure: from the two base configs.
 */
import { z } from 'zod';

const ConfigFacts = z.object({
  created: z.string().optional(),
  rootfs: z.object({ diff_ids: z.array(z.string()).optional() }).optional(),
});

interface Facts {
  readonly created: number | null;
  readonly diffIds: readonly string[];
}

function factsOf(configBytes: Buffer): Facts {
  let json: unknown = null;
  try {
    json = JSON.parse(configBytes.toString('utf8'));
  } catch {
    // An unreadable config is refused elsewhere; here it proves nothing either way.
  }
  const parsed = ConfigFacts.safeParse(json);
  const created = parsed.success && parsed.data.created !== undefined ? Date.parse(parsed.data.created) : Number.NaN;
  return { created: Number.isNaN(created) ? null : created, diffIds: (parsed.success ? parsed.data.rootfs?.diff_ids : undefined) ?? [] };
}

/**
 * Why moving from the local base to the registry's would be a downgrade, or null. It is one when
 * the registry's image does not build on the local one (its layers do not start with the local
 * base's) and the local one was created later.
 */
export function downgradeReason(baseName: string, localConfig: Buffer, registryConfig: Buffer): string | null {
  const local = factsOf(localConfig);
  const upstream = factsOf(registryConfig);
  const ancestor = local.diffIds.length > 0 && local.diffIds.every((diffId, i) => upstream.diffIds[i] === diffId);
  if (ancestor || local.created === null || upstream.created === null || local.created <= upstream.created) return null;
  const when = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return (
    `the local ${baseName} (created ${when(local.created)}) is newer than the registry's copy (created ${when(upstream.created)}) and not an ancestor of it: ` +
    `moving onto the registry's would be a downgrade; push ${baseName} first, or rebuild from the Dockerfile`
  );
}
