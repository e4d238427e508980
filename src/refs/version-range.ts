/**
 * `allowedVersions` as users write it, like Renovate: a `/regex/` (or `!/regex/`) tested on the
 * whole tag, or a semver-style range tested on the tag's numbers. Supported range subset:
 *   comparators  `>=3.12`, `>3.12`, `<=3.13`, `<3.14`, `=3.12`, `3.12` (a partial version is a
 *                prefix: `3.12` matches 3.12, 3.12.4, …), `3.x`, `3.*`, `*`
 *   shorthands   `~3.12` (3.12.*), `~3` (3.*), `^3.12` (3.*, ≥3.12), `^0.4` (0.4.*)
 *   hyphen       `3.10 - 3.12` (≥3.10 and ≤3.12.*)
 *   combining    space = and, `||` = or
 * Pre-release markers in ranges are not supported (pre-releases are governed by
 * `includePrerelease`). Any number of components works, so calendar versions compare too.
 * Pure.
 */
import type { VersionTag } from './version-tag.js';

export interface AllowedVersions {
  /** As written, for messages. */
  readonly text: string;
  matches(tag: VersionTag): boolean;
}

export type AllowedVersionsResult = { readonly ok: true; readonly allowed: AllowedVersions } | { readonly ok: false; readonly error: string };

type Predicate = (numbers: readonly number[]) => boolean;

function compareNumbers(a: readonly number[], b: readonly number[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const startsWith = (numbers: readonly number[], prefix: readonly number[]): boolean => prefix.every((n, i) => (numbers[i] ?? 0) === n);

/** `3.12.x` → [3, 12]; `*` → []; null when not a partial version. */
function parsePartial(text: string): number[] | null {
  const body = text.replace(/^v/i, '');
  if (body === '*' || body.toLowerCase() === 'x') return [];
  const parts = body.split('.');
  const numbers: number[] = [];
  let wild = false;
  for (const part of parts) {
    if (part === '*' || part.toLowerCase() === 'x') {
      wild = true;
      continue;
    }
    if (wild || !/^\d+$/.test(part)) return null; // `3.x.4` or `3.12rc1`
    numbers.push(Number(part));
  }
  return numbers;
}

/** The smallest version above every version starting with `prefix[0..=index]`. */
function bump(prefix: readonly number[], index: number): number[] {
  const head = prefix.slice(0, index + 1);
  head[index] = (head[index] ?? 0) + 1;
  return head;
}

function comparator(token: string): Predicate | string {
  const match = /^(>=|<=|>|<|=|~|\^)?(.*)$/.exec(token);
  const op = match?.[1] ?? '';
  const version = parsePartial(match?.[2] ?? '');
  if (version === null) return `"${token}" is not a version comparator (e.g. >=3.12, ~3.12, ^3, 3.x)`;
  const any: Predicate = () => true;
  switch (op) {
    case '':
    case '=':
      return version.length === 0 ? any : (n) => startsWith(n, version);
    case '>=':
      return (n) => compareNumbers(n, version) >= 0;
    case '<':
      return version.length === 0 ? () => false : (n) => compareNumbers(n, version) < 0;
    case '>':
      return version.length === 0 ? () => false : (n) => compareNumbers(n, version) > 0 && !startsWith(n, version);
    case '<=':
      return (n) => compareNumbers(n, version) <= 0 || startsWith(n, version);
    case '~': {
      if (version.length === 0) return any;
      const within = version.slice(0, Math.min(2, version.length));
      return (n) => startsWith(n, within) && compareNumbers(n, version) >= 0;
    }
    case '^': {
      if (version.length === 0) return any;
      const firstNonZero = version.findIndex((x) => x !== 0);
      const index = firstNonZero < 0 ? version.length - 1 : firstNonZero;
      const below = bump(version, index);
      return (n) => compareNumbers(n, version) >= 0 && compareNumbers(n, below) < 0;
    }
  }
  return `"${token}" is not a version comparator`;
}

function parseRange(text: string): Predicate | string {
  const alternatives: Predicate[] = [];
  for (const alternative of text.split('||')) {
    const trimmed = alternative.trim();
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(trimmed);
    // `>= 3.12` is common enough to accept: glue an operator to the version after it.
    const tokens = hyphen !== null ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : trimmed.replace(/(>=|<=|>|<|=|~|\^)\s+/g, '$1').split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) return `empty alternative in "${text}"`;
    const predicates: Predicate[] = [];
    for (const token of tokens) {
      const predicate = comparator(token);
      if (typeof predicate === 'string') return predicate;
      predicates.push(predicate);
    }
    alternatives.push((n) => predicates.every((p) => p(n)));
  }
  return (n) => alternatives.some((p) => p(n));
}

/** Parses an `allowedVersions` value; the error names what is wrong and the accepted forms. */
export function parseAllowedVersions(text: string): AllowedVersionsResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, error: 'allowedVersions is empty: use a range such as ">=3.12 <3.14" or a /regex/' };
  const regex = /^(!?)\/(.*)\/([a-z]*)$/s.exec(trimmed);
  if (regex !== null) {
    const [, negate, source = '', flags = ''] = regex;
    let pattern: RegExp;
    try {
      pattern = new RegExp(source, flags.replace(/[gy]/g, ''));
    } catch (error) {
      return { ok: false, error: `allowedVersions ${trimmed} is not a valid regular expression: ${(error as Error).message}` };
    }
    const wanted = negate !== '!';
    return { ok: true, allowed: { text: trimmed, matches: (tag) => pattern.test(tag.tag) === wanted } };
  }
  const range = parseRange(trimmed);
  if (typeof range === 'string') {
    return { ok: false, error: `allowedVersions "${trimmed}": ${range}; use a range such as ">=3.12 <3.14", "~3.12", "^3", "3.x", or a /regex/` };
  }
  return { ok: true, allowed: { text: trimmed, matches: (tag) => range(tag.numbers) } };
}
