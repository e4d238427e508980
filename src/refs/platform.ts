/**
 * Picks the child of an image index that Docker would pull for a platform (containerd's
 * `platforms.Only` as used by `docker pull`): same os and architecture after normalising
 * aliases, the exact variant preferred, older compatible arm variants accepted, attestation
 * entries (`unknown/unknown`) never chosen. Pure.
 */
import type { IndexEntry, ManifestIndex } from '../registry/manifest-schemas.js';

export interface PlatformSpec {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string | null;
}

interface NormalizedPlatform {
  os: string;
  architecture: string;
  variant: string;
}

const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  i686: { architecture: '386' },
};

/** Lower-cased, aliases resolved, default variants filled in (arm64 -> v8, arm -> v7). */
export function normalizePlatform(platform: PlatformSpec): NormalizedPlatform {
  const os = platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = (platform.variant ?? '').toLowerCase();
  const alias = ARCH_ALIASES[architecture];
  if (alias) {
    architecture = alias.architecture;
    if (variant === '' && alias.variant) variant = alias.variant;
  }
  if (/^\d+$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'arm64' && variant === '') variant = 'v8';
  if (architecture === 'arm' && variant === '') variant = 'v7';
  // amd64 v1 is the baseline every amd64 CPU runs; images label it with no variant.
  if (architecture === 'amd64' && variant === 'v1') variant = '';
  return { os, architecture, variant };
}

/** Formats `linux/arm64/v8`, `linux/amd64`. */
export function formatPlatform(platform: PlatformSpec): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part != null && part !== '').join('/');
}

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
