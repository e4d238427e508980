/**
 * Image tags read as versions: `3.12`, `3.12.4-slim`, `22-bookworm`, `v1.2.3`, `2024.10.1`,
 * `1.25-alpine3.20`, `3.14-rc-slim`, `3.13.0rc1`. A tag is a version, an optional pre-release
 * marker, and a flavour (everything else after the first `-`): tags are only compared with
 * tags of the same flavour, prefix and precision, the way Renovate's docker versioning does it,
 * because `3.13-alpine` is not an upgrade of `3.12-slim` and `3.13.1` is not one of `3.12`.
 * Pure.
 */

export interface VersionTag {
  readonly tag: string;
  /** `v` for `v1.2.3`, else empty: `v1.2.4` is not compared with `1.2.4`. */
  readonly prefix: string;
  /** Numeric components, e.g. [3, 12, 4]. */
  readonly numbers: readonly number[];
  /** Pre-release marker normalised to lower case (`rc`, `rc1`, `beta.2`, `a1`); null for a release. */
  readonly prerelease: string | null;
  /** The variant: `slim`, `alpine3.20`, `bookworm`, `jdk-jammy`; empty for a plain version. */
  readonly flavour: string;
}

/**
 * Words that mark a pre-release when they stand alone between `-`s or follow the numbers
 * directly (`3.13.0rc1`, `1.0.0-beta.2`, `21-ea`).
 */
const PRERELEASE = /^(?:alpha|beta|rc|pre|preview|dev|a|b|c|ea|snapshot|nightly|canary|next|insiders)(?:[.-]?\d+)?$/i;

/** `v1.2.3rc1-slim` → prefix, numbers, glued pre-release, rest. */
const VERSION_TAG = /^(v?)(\d+(?:\.\d+)*)([a-z][a-z0-9.]*)?(?:-(.+))?$/i;

/** Parses a tag; null when it does not start with a version (`latest`, `bookworm`, `slim`, a sha). */
export function parseVersionTag(tag: string): VersionTag | null {
  const match = VERSION_TAG.exec(tag);
  if (match === null) return null;
  const [, prefix = '', digits = '', glued, rest] = match;
  const numbers = digits.split('.').map(Number);
  // Nine components or ten-digit numbers are build ids and hashes, not versions.
  if (numbers.length > 6 || numbers.some((n) => !Number.isSafeInteger(n))) return null;
  let prerelease: string | null = null;
  if (glued !== undefined) {
    if (!PRERELEASE.test(glued)) return null; // `3.12foo` is not a version we understand
    prerelease = glued.toLowerCase();
  }
  const flavourParts: string[] = [];
  for (const part of rest === undefined ? [] : rest.split('-')) {
    // Only the first pre-release word counts; `-rc-slim` is rc + slim.
    if (prerelease === null && flavourParts.length === 0 && PRERELEASE.test(part)) prerelease = part.toLowerCase();
    else flavourParts.push(part);
  }
  return { tag, prefix: prefix.toLowerCase(), numbers, prerelease, flavour: flavourParts.join('-') };
}

/** Ranks of pre-release words, so `a1 < b1 < rc1 < release`. Unknown words sort lowest. */
function prereleaseRank(marker: string): [number, number] {
  const word = /^[a-z]+/.exec(marker)?.[0] ?? '';
  const number = Number(/(\d+)$/.exec(marker)?.[1] ?? '0');
  const order: Record<string, number> = {
    snapshot: 0, nightly: 0, canary: 0, dev: 1, insiders: 1, ea: 1, next: 2, preview: 2, pre: 2,
    a: 3, alpha: 3, b: 4, beta: 4, c: 5, rc: 5,
  };
  return [order[word] ?? 0, number];
}

/** Numbers compared component-wise, missing components counting as 0; then pre-release < release. */
export function compareVersionTags(a: VersionTag, b: VersionTag): number {
  const length = Math.max(a.numbers.length, b.numbers.length);
  for (let i = 0; i < length; i++) {
    const x = a.numbers[i] ?? 0;
    const y = b.numbers[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === null) return 1;
  if (b.prerelease === null) return -1;
  const [ra, na] = prereleaseRank(a.prerelease);
  const [rb, nb] = prereleaseRank(b.prerelease);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (na !== nb) return na < nb ? -1 : 1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

/** Tags that may replace each other: same prefix, same flavour, same number of components. */
export function sameLine(a: VersionTag, b: VersionTag): boolean {
  return a.prefix === b.prefix && a.flavour === b.flavour && a.numbers.length === b.numbers.length;
}

export type UpdateKind = 'patch' | 'minor' | 'major';

/**
 * How far `to` is from `from`: the first differing component decides (first → major, second →
 * minor, later → patch). A release of the same numbers as a pre-release counts as a patch.
 */
export function updateKind(from: VersionTag, to: VersionTag): UpdateKind {
  const index = from.numbers.findIndex((n, i) => n !== (to.numbers[i] ?? 0));
  if (index === 0) return 'major';
  if (index === 1) return 'minor';
  return 'patch';
}
