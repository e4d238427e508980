/**
 * Which tags of a repository are newer versions of the tag a base uses. Pure: the tag list
 * comes from the registry (see newer-versions.ts).
 */
import { familiarImageRef, formatImageRef, type ImageRef } from '../../refs/image-ref.js';
import { matchesImageGlob } from '../../refs/image-glob.js';
import { type AllowedVersions, type AllowedVersionsResult, parseAllowedVersions } from '../../refs/version-range.js';
import { type UpdateKind, type VersionTag, compareVersionTags, parseVersionTag, sameLine, updateKind } from '../../refs/version-tag.js';

export interface NewerTag {
  readonly tag: string;
  readonly kind: UpdateKind;
}

export interface ProposeOptions {
  /** Only versions this accepts are proposed. Default: every newer version. */
  readonly allowed?: AllowedVersions | null;
  /** Propose pre-releases (`3.14-rc-slim`). Default false. */
  readonly includePrerelease?: boolean;
}

/**
 * Newer tags of the same line as `current` (same prefix, flavour and precision), newest first.
 * A tag that is not a version (`latest`, `bookworm`) gets no proposals. Pre-releases are left
 * out unless asked for, except a later pre-release of the very version `current` is a
 * pre-release of (`3.14-rc1` → `3.14-rc2`), which is what someone on a pre-release follows.
 */
export function proposeNewerTags(current: string, tags: readonly string[], options: ProposeOptions = {}): NewerTag[] {
  const base = parseVersionTag(current);
  if (base === null) return [];
  const candidates: VersionTag[] = [];
  const seen = new Set<string>();
  for (const tag of tags) {
    if (seen.has(tag)) continue;
    seen.add(tag);
    const version = parseVersionTag(tag);
    if (version === null || !sameLine(base, version)) continue;
    if (compareVersionTags(version, base) <= 0) continue;
    if (version.prerelease !== null && options.includePrerelease !== true) {
      const sameNumbers = base.prerelease !== null && compareVersionTags({ ...version, prerelease: null }, { ...base, prerelease: null }) === 0;
      if (!sameNumbers) continue;
    }
    if (options.allowed != null && !options.allowed.matches(version)) continue;
    candidates.push(version);
  }
  candidates.sort((a, b) => compareVersionTags(b, a));
  return candidates.map((version) => ({ tag: version.tag, kind: updateKind(base, version) }));
}

const KIND_ORDER: readonly UpdateKind[] = ['major', 'minor', 'patch'];

/** The newest proposal of each kind, major first: what a one-line summary shows. */
export function newestPerKind(proposals: readonly NewerTag[]): NewerTag[] {
  return KIND_ORDER.flatMap((kind) => {
    const newest = proposals.find((proposal) => proposal.kind === kind);
    return newest === undefined ? [] : [newest];
  });
}

/** How many proposals a report keeps of a base (besides the newest of each kind). */
export const MAX_REPORTED_PROPOSALS = 10;

/**
 * What a report (state.json, `--json`) keeps of the proposals: the newest few and the newest of
 * each kind, newest first. Everything shown or acted on is among them; a registry with
 * thousands of newer tags costs a few lines, not one per tag.
 */
export function reportedProposals(proposals: readonly NewerTag[]): NewerTag[] {
  const kept = new Set([...proposals.slice(0, MAX_REPORTED_PROPOSALS), ...newestPerKind(proposals)]);
  return proposals.filter((proposal) => kept.has(proposal));
}

/** `3.13-slim (minor)`, `4-slim (major), 3.13-slim (minor)`; empty when there is nothing. */
export function describeNewer(proposals: readonly NewerTag[]): string {
  return newestPerKind(proposals)
    .map((proposal) => `${proposal.tag} (${proposal.kind})`)
    .join(', ');
}

/**
 * A per-base limit on proposals (the `allowedVersions` setting): `image` is a glob like the
 * `ignore` setting's (`python`, `python:*-slim`, `ghcr.io/me/*`), `versions` a range or regex
 * (see version-range.ts).
 */
export interface AllowedVersionsRule {
  readonly image: string;
  readonly versions: string;
}

/** The first rule matching the base, parsed; null when no rule matches. */
export function allowedVersionsFor(ref: ImageRef, rules: readonly AllowedVersionsRule[]): AllowedVersionsResult | null {
  const withTag = { ...ref, digest: null };
  const bare = { ...ref, tag: null, digest: null };
  // Tagless names too: a glob naming a registry with a port (`reg:5000/base`) has a `:`, so
  // the glob matcher does not treat it as "every tag of".
  const names = [familiarImageRef(withTag), formatImageRef(withTag), familiarImageRef(bare), formatImageRef(bare)];
  const rule = rules.find((candidate) => matchesImageGlob(candidate.image, names));
  return rule === undefined ? null : parseAllowedVersions(rule.versions);
}
