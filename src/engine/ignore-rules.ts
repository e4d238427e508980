/**
 * `.dockerignore` rules, matched the way the Docker CLI matches them when it packs a build context
 * for the classic builder on Linux and macOS. Pure. Ported from moby/patternmatcher (v0.6):
 * `ignorefile.ReadAll` reads the file, `New` cleans and checks each pattern, `Pattern.compile`
 * turns it into a Go regular expression, `MatchesUsingParentResults` matches a path; and from
 * moby's `archive.TarWithOptions`, which decides when an excluded folder is still walked.
 *
 * Docker does not match globs the way `filepath.Match` does: it builds a Go regular expression
 * from the pattern and only escapes `.+()|{}$`. So a backslash escapes the next character *as
 * a regular expression does* (`\*`, `\?`, `\[`, `\\` are literals), `[a-c]` and `[^a]` are
 * regular-expression classes, and `**` spans folders. The Go expression is translated to a
 * JavaScript one with the same meaning (./go-regexp.ts); the few Go escapes JavaScript cannot
 * express the same way are refused with an {@link IgnorePatternError} rather than matched
 * differently.
 */
import path from 'node:path';
import { type Program, searchProgram } from '../util/linear-match.js';
import { goRegexpToProgram } from './go-regexp.js';

/** A pattern Docker rejects (so `docker build` fails too), or one basewatch cannot match as Docker does. */
export class IgnorePatternError extends Error {
  override readonly name = 'IgnorePatternError';
  /** The ignore file (or what it is called in messages). */
  readonly file: string;
  /** The pattern as the ignore file reads after cleaning, with its `!`. */
  readonly pattern: string;

  constructor(file: string, pattern: string, problem: string) {
    super(`${file}: pattern ${JSON.stringify(pattern)}: ${problem}`);
    this.file = file;
    this.pattern = pattern;
  }
}

/** What matching a folder left for the paths under it (moby `MatchInfo`): which patterns it matched. */
export interface ParentMatch {
  readonly matched: readonly boolean[];
}

/** Rules of a .dockerignore file, matched the way moby's patternmatcher does. */
export interface IgnoreRules {
  /** True when the path (relative, `/`-separated, clean) is excluded: by its own name or a parent folder's. */
  ignores(relativePath: string): boolean;
  /**
   * As {@link ignores}, for a walk: `parent` is what matching the path's folder returned (null at
   * the top), and the answer carries what to pass on to the folder's own entries.
   */
  match(relativePath: string, parent: ParentMatch | null): { readonly excluded: boolean; readonly parent: ParentMatch };
  /**
   * Whether an excluded folder is still walked: only when some `!` exception, read as a path,
   * lies under it (`!docs/keep.md` for `docs`). Docker skips it otherwise, even when an exception
   * such as `!**\/keep.md` would match a file inside.
   */
  walksExcludedFolder(relativeDir: string): boolean;
  /** Whether any `!` exception exists. */
  readonly hasExceptions: boolean;
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

interface Pattern {
  /** Cleaned, without its `!`. */
  readonly text: string;
  readonly exclusion: boolean;
  readonly matches: (file: string) => boolean;
  /** `matches` for the path or any folder above it (moby tries each parent path in turn). */
  readonly matchesOrFolder: (file: string) => boolean;
}

/**
 * The patterns of an ignore file (moby `ignorefile.ReadAll`): a UTF-8 BOM dropped, lines that
 * start with `#` skipped before trimming (so ` #x` is a pattern), blank lines skipped, the rest
 * trimmed and cleaned like a path (`./a/` is `a`, `/a` is `a`), a leading `!` kept.
 */
export function readIgnorePatterns(text: string): string[] {
  // bufio.ScanLines: split at \n, drop one \r before it, no empty token after a final newline.
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const patterns: string[] = [];
  for (const [index, raw] of lines.entries()) {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (index === 0 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.startsWith('#')) continue;
    let pattern = goTrimSpace(line);
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = goTrimSpace(pattern.slice(1));
    if (pattern.length > 0) {
      pattern = goClean(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

/**
 * Parses an ignore file; throws {@link IgnorePatternError} for a pattern Docker rejects too
 * (`file` names it in that error). Matching throws it for a pattern whose expression is invalid:
 * Docker finds that out only when it first uses the pattern, and fails the build then.
 */
export function parseIgnoreRules(text: string, file = '.dockerignore'): IgnoreRules {
  return compileIgnorePatterns(readIgnorePatterns(text), file);
}

/** moby patternmatcher `New` and the matcher it returns. */
export function compileIgnorePatterns(lines: readonly string[], file = '.dockerignore'): IgnoreRules {
  const patterns: Pattern[] = [];
  for (const line of lines) {
    let text = goTrimSpace(line);
    if (text === '') continue;
    text = goClean(text);
    const exclusion = text.startsWith('!');
    if (exclusion) {
      if (text.length === 1) throw new IgnorePatternError(file, line, 'illegal exclusion pattern "!"');
      text = text.slice(1);
    }
    if (!isValidGlob(text)) throw new IgnorePatternError(file, line, 'syntax error in pattern (docker build rejects it too)');
    patterns.push({ text, exclusion, ...compilePattern(text, (problem) => new IgnorePatternError(file, line, problem)) });
  }
  const hasExceptions = patterns.some((pattern) => pattern.exclusion);

  const match = (file: string, parent: ParentMatch | null): { excluded: boolean; parent: ParentMatch } => {
    const parentMatched = parent?.matched ?? [];
    const matched: boolean[] = patterns.map(() => false);
    let excluded = false;
    for (const [i, pattern] of patterns.entries()) {
      // A folder's match holds for everything under it.
      let hit = parentMatched[i] === true;
      if (!hit) {
        // Only a pattern that can change the answer is evaluated (moby skips the others, and then
        // does not record them for the entries below either).
        if (pattern.exclusion !== excluded) continue;
        // With no parent results, a folder above the path matching counts too.
        hit = parentMatched.length === 0 ? pattern.matchesOrFolder(file) : pattern.matches(file);
      }
      matched[i] = hit;
      if (hit) excluded = !pattern.exclusion;
    }
    return { excluded, parent: { matched } };
  };

  return {
    ignores: (relativePath) => match(relativePath, null).excluded,
    match,
    walksExcludedFolder: (relativeDir) =>
      hasExceptions && patterns.some((pattern) => pattern.exclusion && `${pattern.text}/`.startsWith(`${relativeDir}/`)),
    hasExceptions,
  };
}

type PatternMatchers = Pick<Pattern, 'matches' | 'matchesOrFolder'>;

/** `matches` for the path, else for each folder above it, shortest first (moby `MatchesUsingParentResults`). */
function orFolder(matches: (file: string) => boolean): PatternMatchers {
  return {
    matches,
    matchesOrFolder: (file) => {
      if (matches(file)) return true;
      const folder = goDir(file);
      if (folder === '.') return false;
      const parts = folder.split('/');
      for (let depth = 1; depth <= parts.length; depth++) if (matches(parts.slice(0, depth).join('/'))) return true;
      return false;
    },
  };
}

/** moby `Pattern.compile` (with `/` as the separator) and `Pattern.match`. */
function compilePattern(text: string, error: (problem: string) => IgnorePatternError): PatternMatchers {
  let source = '^';
  let type: MatchType = 'exact';
  const chars = [...text];
  for (let token = 0, at = 0; at < chars.length; token++) {
    const ch = chars[at++] as string;
    if (ch === '*') {
      if (chars[at] === '*') {
        at++;
        // Treat **/ as **.
        if (chars[at] === '/') at++;
        if (at >= chars.length) {
          // A trailing ** matches everything below.
          if (type === 'exact') {
            type = 'prefix';
          } else {
            source += '.*';
            type = 'regexp';
          }
        } else {
          source += '(.*/)?';
          type = 'regexp';
        }
        if (token === 0) type = 'suffix';
      } else {
        source += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^/]';
      type = 'regexp';
    } else if ('.+()|{}$'.includes(ch)) {
      source += `\\${ch}`;
    } else if (ch === '\\') {
      // The next character goes into the expression escaped, whatever it is.
      if (at < chars.length) {
        source += `\\${chars[at++] as string}`;
        type = 'regexp';
      } else {
        source += '\\';
      }
    } else if (ch === '[' || ch === ']') {
      source += ch;
      type = 'regexp';
    } else {
      source += ch;
    }
  }

  switch (type) {
    case 'exact':
      return orFolder((file) => file === text);
    case 'prefix': {
      const prefix = text.slice(0, -2);
      return orFolder((file) => file.startsWith(prefix));
    }
    case 'suffix': {
      const suffix = text.slice(2);
      // **/foo matches "foo" as well.
      return orFolder((file) => file.endsWith(suffix) || (suffix.startsWith('/') && file === suffix.slice(1)));
    }
    case 'regexp': {
      // Go compiles the expression on first use and the walk fails there: so does this. A
      // linear-time program, not a RegExp: `**/**/…*a` or `*?*?…` must not backtrack (issue 16).
      let matcher: Program | IgnorePatternError;
      // The same expression, whose `$` also holds before a `/`: one run for the path and every
      // folder above it, instead of one per folder (quadratic in a deep path). Null when the
      // expression cannot be run that way (see goRegexpToProgram).
      let folderMatcher: Program | IgnorePatternError | null;
      try {
        matcher = goRegexpToProgram(`${source}$`, error);
        folderMatcher = goRegexpToProgram(`${source}$`, error, { endAtSlash: true });
      } catch (thrown) {
        matcher = thrown instanceof IgnorePatternError ? thrown : error(`not a valid expression for Docker's matcher (${(thrown as Error).message})`);
        folderMatcher = matcher;
      }
      const matches = (file: string): boolean => {
        if (matcher instanceof IgnorePatternError) throw matcher;
        return searchProgram(matcher, codePoints(file)) !== null;
      };
      if (folderMatcher === null) return orFolder(matches);
      const folderProgram = folderMatcher;
      return {
        matches,
        matchesOrFolder: (file) => {
          if (folderProgram instanceof IgnorePatternError) throw folderProgram;
          return searchProgram(folderProgram, codePoints(file)) !== null;
        },
      };
    }
  }
}

function codePoints(text: string): number[] {
  const points: number[] = [];
  for (const ch of text) points.push(ch.codePointAt(0) as number);
  return points;
}

/**
 * Go `filepath.Match`'s syntax check (not on Windows): classes closed and not empty, no range
 * starting with `-` or `]`, no trailing backslash. moby checks every pattern with it up front.
 */
function isValidGlob(pattern: string): boolean {
  const chars = [...pattern];
  let at = 0;
  // getEsc: one class character, maybe escaped; something must follow it.
  const classChar = (): boolean => {
    if (at >= chars.length || chars[at] === '-' || chars[at] === ']') return false;
    if (chars[at] === '\\') {
      at++;
      if (at >= chars.length) return false;
    }
    at++;
    return at < chars.length;
  };
  while (at < chars.length) {
    const ch = chars[at++];
    if (ch === '\\') {
      if (at >= chars.length) return false;
      at++;
    } else if (ch === '[') {
      if (chars[at] === '^') at++;
      for (let ranges = 0; ; ranges++) {
        if (chars[at] === ']' && ranges > 0) {
          at++;
          break;
        }
        if (!classChar()) return false;
        if (chars[at] === '-') {
          at++;
          if (!classChar()) return false;
        }
      }
    }
  }
  return true;
}

/** Go `filepath.Dir`: everything before the last `/`, cleaned (`a/b/` gives `a/b`, not `a`). */
function goDir(file: string): string {
  return goClean(file.slice(0, file.lastIndexOf('/') + 1));
}

/** Go `filepath.Clean` on Linux: `.` and `..` resolved, repeated and trailing `/` dropped, `""` is `"."`. */
function goClean(file: string): string {
  const normal = path.posix.normalize(file);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

// Go `unicode.IsSpace`: what strings.TrimSpace trims.
const GO_SPACE_CHARS = '\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

function goTrimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && GO_SPACE_CHARS.includes(text[start] as string)) start++;
  while (end > start && GO_SPACE_CHARS.includes(text[end - 1] as string)) end--;
  return text.slice(start, end);
}
