/**
 * Picks the child of an image index that Docker would pull for a platform (containerd's
 * `platforms.Only` as used by `docker pull`): same os and architecture after normalising
 * aliases, the exact variant preferred, older compatible arm variants accepted, attestation
 * entries (`unknown/unknown`) never chosen. Pure.
 */
import { type NormalizedPlatform, type PlatformSpec, normalizePlatform } from '../refs/platform.js';
import type { IndexEntry, ManifestIndex } from './manifest-schemas.js';

export function isAttestationEntry(entry: IndexEntry): boolean {
  if (entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return true;
  return entry.platform?.os === 'unknown' && entry.platform.architecture === 'unknown';
}

/** Lower is better; null when the entry cannot run on the wanted platform. */
function rank(wanted: NormalizedPlatform, entry: IndexEntry): number | null {
  if (entry.platform === undefined || isAttestationEntry(entry)) return null;
  const have = normalizePlatform(entry.platform);
  if (have.os !== wanted.os || have.architecture !== wanted.architecture) return null;
  if (have.variant === wanted.variant) return 0;
  // An armv7 host runs v6 and v5 images (Docker would pull them when no v7 exists).
  if (wanted.architecture === 'arm') {
    const want = Number(wanted.variant.slice(1));
    const got = Number(have.variant.slice(1));
    if (Number.isInteger(want) && Number.isInteger(got) && got < want) return want - got;
  }
  return null;
}

/** The index entry Docker would pull for `platform`, or null when the index has none. */
export function selectPlatformManifest(index: ManifestIndex, platform: PlatformSpec): IndexEntry | null {
  const wanted = normalizePlatform(platform);
  let best: IndexEntry | null = null;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const entry of index.manifests) {
    const r = rank(wanted, entry);
    if (r !== null && r < bestRank) {
      best = entry;
      bestRank = r;
    }
  }
  return best;
}
