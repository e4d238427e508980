/**
 * Version ordering as the package managers themselves define it, so "upgraded" and
 * "downgraded" mean what `dpkg --compare-versions` and `apk version -t` would say.
 */

export type VersionScheme = 'dpkg' | 'apk';

/** Negative when a sorts before b, zero when equal, positive after. */
export function compareVersions(scheme: VersionScheme, a: string, b: string): number {
  return scheme === 'dpkg' ? compareDpkgVersions(a, b) : compareApkVersions(a, b);
}

// ---------------------------------------------------------------------------------------------
// dpkg: [epoch:]upstream[-revision], Debian Policy 5.6.12.

const isDigitAt = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/** Weight of a character in the non-digit parts: "~" before the end, the end before letters, letters before the rest. */
function dpkgOrder(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  if (c === 126 /* ~ */) return -1;
  return c + 256;
}

/** dpkg's verrevcmp: alternate non-digit runs (by dpkgOrder) and digit runs (numerically). */
function compareDpkgPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigitAt(a, i)) || (j < b.length && !isDigitAt(b, j))) {
      const diff = dpkgOrder(a, i) - dpkgOrder(b, j);
      if (diff !== 0) return diff;
      i += 1;
      j += 1;
    }
    while (a[i] === '0') i += 1;
    while (b[j] === '0') j += 1;
    let firstDiff = 0;
    while (isDigitAt(a, i) && isDigitAt(b, j)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i += 1;
      j += 1;
    }
    // With leading zeros gone, the longer run of digits is the larger number.
    if (isDigitAt(a, i)) return 1;
    if (isDigitAt(b, j)) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

interface DpkgVersion {
  readonly epoch: string;
  readonly upstream: string;
  readonly revision: string;
}

function parseDpkgVersion(version: string): DpkgVersion {
  const trimmed = version.trim();
  const colon = trimmed.indexOf(':');
  const hasEpoch = colon > 0 && /^\d+$/.test(trimmed.slice(0, colon));
  const epoch = hasEpoch ? trimmed.slice(0, colon) : '0';
  const rest = hasEpoch ? trimmed.slice(colon + 1) : trimmed;
  const hyphen = rest.lastIndexOf('-');
  return hyphen >= 0
    ? { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) }
    : { epoch, upstream: rest, revision: '' };
}

function compareDigitStrings(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

export function compareDpkgVersions(a: string, b: string): number {
  const x = parseDpkgVersion(a);
  const y = parseDpkgVersion(b);
  return sign(
    compareDigitStrings(x.epoch, y.epoch) ||
      compareDpkgPart(x.upstream, y.upstream) ||
      compareDpkgPart(x.revision, y.revision),
  );
}

// ---------------------------------------------------------------------------------------------
// apk: digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}, as apk-tools' version.c reads it.

/** Token kinds in the order a version may hold them; the order matters when one version runs out. */
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

/** Pre-release suffixes sort before the bare version ("none"), post-release ones after. */
const SUFFIX_RANK: ReadonlyMap<string, number> = new Map([
  ['alpha', 0],
  ['beta', 1],
  ['pre', 2],
  ['rc', 3],
  ['cvs', 5],
  ['svn', 6],
  ['git', 7],
  ['hg', 8],
  ['p', 9],
]);
const SUFFIX_NONE = 4;

interface ApkToken {
  readonly kind: number;
  readonly text: string;
  /** Rank of a suffix token. */
  readonly rank: number;
}

function tokenizeApkVersion(version: string): ApkToken[] {
  const tokens: ApkToken[] = [];
  let pos = 0;
  const take = (pattern: RegExp): string => {
    const match = pattern.exec(version.slice(pos));
    const text = match?.[0] ?? '';
    pos += text.length;
    return text;
  };
  const push = (kind: number, text = '', rank = 0): number => {
    tokens.push({ kind, text, rank });
    return kind;
  };

  const first = take(/^\d+/);
  let previous = push(first === '' ? INVALID : INITIAL_DIGIT, first);
  while (previous < END) {
    const ch = version[pos];
    if (ch === undefined) {
      previous = push(END);
    } else if (ch >= 'a' && ch <= 'z') {
      pos += 1;
      previous = push(previous > DIGIT ? INVALID : LETTER, ch);
    } else if (ch === '.' || (ch >= '0' && ch <= '9')) {
      if (ch === '.') {
        if (previous > DIGIT) {
          previous = push(INVALID);
          continue;
        }
        pos += 1;
      }
      const kind = previous === INITIAL_DIGIT || previous === DIGIT ? DIGIT : previous === SUFFIX ? SUFFIX_NO : INVALID;
      const digits = take(/^\d+/);
      previous = push(digits === '' ? INVALID : kind, digits);
    } else if (ch === '_') {
      pos += 1;
      const name = take(/^[a-z]*/);
      const rank = SUFFIX_RANK.get(name);
      previous = push(previous > SUFFIX_NO || rank === undefined ? INVALID : SUFFIX, name, rank ?? 0);
    } else if (ch === '~') {
      pos += 1;
      const hash = take(/^[0-9a-f]*/);
      previous = push(previous >= COMMIT_HASH || hash === '' ? INVALID : COMMIT_HASH, hash);
    } else if (ch === '-' && version[pos + 1] === 'r' && previous < REVISION_NO) {
      pos += 2;
      const digits = take(/^\d+/);
      previous = push(digits === '' ? INVALID : REVISION_NO, digits);
    } else {
      previous = push(INVALID);
    }
  }
  return tokens;
}

function compareApkTokens(a: ApkToken, b: ApkToken): number {
  switch (a.kind) {
    case DIGIT:
      // A component with a leading zero is a fraction ("1.02" < "1.1"): compared as text.
      if (a.text.startsWith('0') || b.text.startsWith('0')) return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
      return compareDigitStrings(a.text, b.text);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigitStrings(a.text, b.text);
    case SUFFIX:
      return a.rank - b.rank;
    default:
      return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  }
}

export function compareApkVersions(a: string, b: string): number {
  const x = tokenizeApkVersion(a.trim());
  const y = tokenizeApkVersion(b.trim());
  let i = 0;
  for (; ; i += 1) {
    const ta = x[i];
    const tb = y[i];
    if (ta === undefined || tb === undefined) return 0; // unreachable: both lists end in END or INVALID
    if (ta.kind !== tb.kind || ta.kind >= END) {
      if (ta.kind === tb.kind) return 0;
      // Equal so far: the longer version wins, unless what it has next is a pre-release suffix.
      if (ta.kind === SUFFIX && ta.rank < SUFFIX_NONE) return -1;
      if (tb.kind === SUFFIX && tb.rank < SUFFIX_NONE) return 1;
      return ta.kind > tb.kind ? -1 : 1;
    }
    const order = compareApkTokens(ta, tb);
    if (order !== 0) return sign(order);
  }
}
