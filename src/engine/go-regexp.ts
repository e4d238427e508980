/**
 * Go regular expressions (RE2 syntax, as Go's regexp package reads them) in JavaScript: enough of
 * the syntax for what moby's patternmatcher builds from a .dockerignore pattern, see
 * ./ignore-rules.ts. Pure.
 *
 * Where the two differ, Go's meaning is kept: `.` does not match a newline (in JavaScript it does
 * not match \r either), `\s` is ASCII whitespace without \v, `\a`, `\z`, `\Q…\E`, octal and
 * `\x{…}` escapes, POSIX classes `[[:digit:]]`, a `]` first in a class is a literal, and a
 * backslash before a letter Go does not know is an error. Code points, not UTF-16 units, as Go
 * matches runes (`u` flag).
 */

import { type Instruction, type Piece, type Program, alternation, optional, program, sequence, star } from '../util/linear-match.js';

/** A character written so a `u` JavaScript expression reads it literally, in or out of a class. */
function literal(ch: string): string {
  const code = ch.codePointAt(0) as number;
  if (/^[A-Za-z0-9]$/.test(ch) || code >= 0x80) return ch;
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

function codePoint(code: number): string {
  return code < 0x80 ? literal(String.fromCodePoint(code)) : `\\u{${code.toString(16)}}`;
}

// Go's Perl classes are ASCII-only; so are \d and \w in JavaScript, but not \s.
const GO_SPACE = '\\t\\n\\f\\r\\x20';

// Go's POSIX classes inside brackets ([[:digit:]]), as JavaScript class contents.
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t\\x20',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e',
  space: '\\t\\n\\x0b\\f\\r\\x20',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const OCTAL = /^[0-7]$/;
const HEX = /^[0-9A-Fa-f]$/;

/**
 * Translates the expression moby builds (Go RE2 syntax) into the source of a JavaScript `u`
 * expression with the same meaning. Besides what moby itself emits, this is what a backslash in
 * a pattern can reach. `error` makes the exception for a problem: an escape Go rejects, or one
 * JavaScript cannot express the same way.
 */
export function goRegexpToJs(source: string, error: (problem: string) => Error): string {
  const chars = [...source];
  let at = 0;
  const fail = (problem: string): never => {
    throw error(problem);
  };
  const unsupported = (what: string): never =>
    fail(`${what} means something to Docker's regular-expression matcher that basewatch does not match the same way; escape only punctuation, such as \\* \\? \\[`);

  /** A Go escape that stands for one character (`parseEscape`), after the backslash; null when it is not one. */
  const escapedChar = (): number | null => {
    const c = chars[at] as string;
    const code = c.codePointAt(0) as number;
    if (code < 0x80 && !/^[A-Za-z0-9]$/.test(c)) {
      at++;
      return code;
    }
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (c in simple) {
      at++;
      return simple[c] as number;
    }
    if (OCTAL.test(c) && (c === '0' || OCTAL.test(chars[at + 1] ?? ''))) {
      // \0 and \1 to \7 followed by an octal digit: up to three octal digits.
      let value = 0;
      for (let n = 0; n < 3 && OCTAL.test(chars[at] ?? ''); n++) value = value * 8 + Number(chars[at++]);
      return value;
    }
    if (c === 'x') {
      at++;
      if (chars[at] === '{') {
        const end = chars.indexOf('}', at);
        const digits = end < 0 ? '' : chars.slice(at + 1, end).join('');
        if (!/^[0-9A-Fa-f]{1,8}$/.test(digits) || Number.parseInt(digits, 16) > 0x10ffff) fail('invalid \\x{…} escape');
        at = end + 1;
        return Number.parseInt(digits, 16);
      }
      if (!HEX.test(chars[at] ?? '') || !HEX.test(chars[at + 1] ?? '')) fail('invalid \\x escape');
      at += 2;
      return Number.parseInt(`${chars[at - 2]}${chars[at - 1]}`, 16);
    }
    return null;
  };

  /** One character of a class, or a range's end (`parseClassChar`). */
  const classChar = (): number => {
    const c = chars[at];
    if (c === undefined) return fail('missing closing ]');
    if (c !== '\\') {
      at++;
      return c.codePointAt(0) as number;
    }
    at++;
    if (at >= chars.length) return fail('trailing backslash');
    const escaped = escapedChar();
    if (escaped === null) return chars[at] === 'p' || chars[at] === 'P' ? unsupported(`\\${chars[at]}`) : fail(`invalid escape \\${chars[at]}`);
    return escaped;
  };

  const parseClass = (): string => {
    // After the [.
    let out = '[';
    if (chars[at] === '^') {
      out += '^';
      at++;
    }
    let first = true;
    while (at < chars.length && (chars[at] !== ']' || first)) {
      first = false;
      if (chars[at] === '[' && chars[at + 1] === ':') {
        // Go looks for the closing :] anywhere after it (parseNamedClass).
        let close = at + 2;
        while (close < chars.length && !(chars[close] === ':' && chars[close + 1] === ']')) close++;
        if (close < chars.length) {
          const name = chars.slice(at + 2, close).join('');
          const negated = name.startsWith('^');
          const known = POSIX_CLASSES[negated ? name.slice(1) : name];
          if (known === undefined) fail(`invalid character class [:${name}:]`);
          if (negated) unsupported(`[:${name}:]`);
          out += known;
          at = close + 2;
          continue;
        }
      }
      if (chars[at] === '\\') {
        const next = chars[at + 1];
        if (next !== undefined && 'dDwW'.includes(next)) {
          out += `\\${next}`;
          at += 2;
          continue;
        }
        if (next === 's') {
          out += GO_SPACE;
          at += 2;
          continue;
        }
        if (next === 'S' || next === 'p' || next === 'P') unsupported(`\\${next}`);
      }
      const lo = classChar();
      if (chars[at] === '-' && chars[at + 1] !== undefined && chars[at + 1] !== ']') {
        at++;
        const hi = classChar();
        if (hi < lo) fail('invalid character class range');
        out += `${codePoint(lo)}-${codePoint(hi)}`;
      } else {
        out += codePoint(lo);
      }
    }
    if (at >= chars.length) fail('missing closing ]');
    at++;
    return `${out}]`;
  };

  let out = '';
  while (at < chars.length) {
    const ch = chars[at++] as string;
    switch (ch) {
      case '[':
        out += parseClass();
        break;
      case '.':
        // Go's . does not match a newline; JavaScript's does not match \r either.
        out += '[^\\n]';
        break;
      case '^':
      case '$':
      case '*':
      case '?':
      case '(':
      case ')':
      case '|':
        // What moby emits itself (anchors, [^/]*, (.*/)?); a user's ^ is an anchor in Go too.
        out += ch;
        break;
      case '\\': {
        const next = chars[at];
        if (next === undefined) return fail('trailing backslash');
        const assertions: Record<string, string> = { A: '^', z: '$', b: '\\b', B: '\\B', d: '\\d', D: '\\D', w: '\\w', W: '\\W' };
        if (next in assertions) {
          out += assertions[next];
          at++;
          break;
        }
        if (next === 's' || next === 'S') {
          out += next === 's' ? `[${GO_SPACE}]` : `[^${GO_SPACE}]`;
          at++;
          break;
        }
        if (next === 'Q') {
          // Literal text up to \E.
          at++;
          while (at < chars.length && !(chars[at] === '\\' && chars[at + 1] === 'E')) out += literal(chars[at++] as string);
          at += 2;
          break;
        }
        if (next === 'p' || next === 'P') unsupported(`\\${next}`);
        const escaped = escapedChar();
        if (escaped === null) fail(`invalid escape \\${next} (docker build fails on it too)`);
        out += codePoint(escaped as number);
        break;
      }
      default:
        out += literal(ch);
    }
  }
  return out;
}

/**
 * The same expression as a linear-time program (util/linear-match) instead of a JavaScript
 * RegExp: a `.dockerignore` pattern such as `**\/**\/…*a` or `*?*?*?…b` makes a backtracking
 * engine take seconds per path (issue 16: 2.7 s), as it does not Go's RE2. Built from the
 * JavaScript source {@link goRegexpToJs} gives, which holds only what that translation emits:
 * single characters and classes, the anchors `^ $ \b \B`, and moby's own `( ) | * ?`. Each
 * one-character atom is tested by a small `u` RegExp of its own (constant time per character);
 * the program does the repetition. Runs on code points, as Go matches runes. With `endAtSlash`,
 * the final `$` also holds before a `/` (see {@link END_OR_SLASH}); null when the expression has
 * another end anchor.
 */
export function goRegexpToProgram(source: string, error: (problem: string) => Error, options: { endAtSlash?: true }): Program | null;
export function goRegexpToProgram(source: string, error: (problem: string) => Error): Program;
export function goRegexpToProgram(source: string, error: (problem: string) => Error, options: { endAtSlash?: boolean } = {}): Program | null {
  const js = goRegexpToJs(source, error);
  // Only an expression whose one end anchor is its last character can end at a folder: a `\z`
  // inside it (`a\z/b`) would then hold before a `/` too. None for that: match folder by folder.
  if (options.endAtSlash === true && js.indexOf('$') !== js.length - 1) return null;
  const tokens = tokenizeTranslated(js, error, options.endAtSlash === true);
  let at = 0;
  const depthLimit = 100;
  const parseAlternation = (depth: number): Piece => {
    if (depth > depthLimit) throw error(`groups nested more than ${depthLimit} deep`);
    const branches: Piece[] = [parseSequence(depth)];
    while (opText(tokens[at]) === '|') {
      at++;
      branches.push(parseSequence(depth));
    }
    return alternation(branches);
  };
  const parseSequence = (depth: number): Piece => {
    const pieces: Piece[] = [];
    for (;;) {
      const token = tokens[at];
      if (token === undefined || (token.kind === 'op' && (token.text === '|' || token.text === ')'))) break;
      at++;
      let piece: Piece;
      if (token.kind === 'op') {
        if (token.text !== '(') throw error(`unexpected ${token.text}`);
        piece = parseAlternation(depth + 1);
        if (opText(tokens[at]) !== ')') throw error('missing closing )');
        at++;
      } else piece = [token.instruction];
      const quantifier = tokens[at];
      if (quantifier?.kind === 'op' && (quantifier.text === '*' || quantifier.text === '?')) {
        at++;
        piece = quantifier.text === '*' ? star(piece) : optional(piece);
      }
      pieces.push(piece);
    }
    return sequence(pieces);
  };
  const piece = parseAlternation(0);
  if (at < tokens.length) throw error(`unexpected ${opText(tokens[at]) ?? 'text'}`);
  return program(piece);
}

type Token = { readonly kind: 'op'; readonly text: string } | { readonly kind: 'atom'; readonly instruction: Instruction };

function opText(token: Token | undefined): string | null {
  return token?.kind === 'op' ? token.text : null;
}

const isWordUnit = (unit: number | undefined): boolean =>
  unit !== undefined && ((unit >= 0x30 && unit <= 0x39) || (unit >= 0x41 && unit <= 0x5a) || (unit >= 0x61 && unit <= 0x7a) || unit === 0x5f);

const ASSERTIONS: Readonly<Record<string, (input: readonly number[], at: number) => boolean>> = {
  '^': (_input, at) => at === 0,
  $: (input, at) => at === input.length,
  '\\b': (input, at) => isWordUnit(input[at - 1]) !== isWordUnit(input[at]),
  '\\B': (input, at) => isWordUnit(input[at - 1]) === isWordUnit(input[at]),
};

/**
 * `$` for {@link goRegexpToProgram}'s `endAtSlash`: the end of the text, or the end of a folder
 * of it (before a `/`). One run then answers whether the path or any folder above it matches,
 * which moby asks by matching every parent path again (quadratic in a deep path).
 */
const END_OR_SLASH = (input: readonly number[], at: number): boolean => at === input.length || input[at] === 0x2f;

/** One character matcher from the source of a one-character JavaScript atom. */
function characterTest(atom: string): Instruction {
  const regexp = new RegExp(`^${atom}$`, 'u');
  // ASCII answers are remembered: paths are mostly ASCII, and a RegExp call per step is slow.
  const ascii = new Int8Array(128).fill(-1);
  return {
    op: 'char',
    test: (unit) => {
      if (unit >= 128) return regexp.test(String.fromCodePoint(unit));
      let known = ascii[unit] as number;
      if (known < 0) ascii[unit] = known = regexp.test(String.fromCharCode(unit)) ? 1 : 0;
      return known === 1;
    },
  };
}

function tokenizeTranslated(js: string, error: (problem: string) => Error, endAtSlash: boolean): Token[] {
  const tokens: Token[] = [];
  const chars = [...js];
  for (let at = 0; at < chars.length; ) {
    const ch = chars[at] as string;
    if ('()|*?'.includes(ch)) {
      tokens.push({ kind: 'op', text: ch });
      at++;
    } else if (ch === '^' || ch === '$') {
      const test = ch === '$' && endAtSlash ? END_OR_SLASH : (ASSERTIONS[ch] as (input: readonly number[], at: number) => boolean);
      tokens.push({ kind: 'atom', instruction: { op: 'assert', test } });
      at++;
    } else if (ch === '[') {
      // The translation escapes every `]` inside a class: the first unescaped one closes it.
      let end = at + 1;
      while (end < chars.length && chars[end] !== ']') end += chars[end] === '\\' ? 2 : 1;
      if (end >= chars.length) throw error('missing closing ]');
      tokens.push({ kind: 'atom', instruction: characterTest(chars.slice(at, end + 1).join('')) });
      at = end + 1;
    } else if (ch === '\\') {
      const next = chars[at + 1] ?? '';
      if (next === 'b' || next === 'B') {
        tokens.push({ kind: 'atom', instruction: { op: 'assert', test: ASSERTIONS[`\\${next}`] as (input: readonly number[], at: number) => boolean } });
        at += 2;
      } else if (next === 'x') {
        tokens.push({ kind: 'atom', instruction: characterTest(chars.slice(at, at + 4).join('')) });
        at += 4;
      } else if (next === 'u') {
        const end = chars.indexOf('}', at);
        tokens.push({ kind: 'atom', instruction: characterTest(chars.slice(at, end + 1).join('')) });
        at = end + 1;
      } else {
        // \d \D \w \W: one character.
        tokens.push({ kind: 'atom', instruction: characterTest(`\\${next}`) });
        at += 2;
      }
    } else {
      tokens.push({ kind: 'atom', instruction: characterTest(literalSource(ch)) });
      at++;
    }
  }
  return tokens;
}

/** A character the translation left as itself (a letter, a digit, non-ASCII), as a RegExp atom. */
function literalSource(ch: string): string {
  return /^[A-Za-z0-9]$/.test(ch) || (ch.codePointAt(0) as number) >= 0x80 ? ch : `\\x${(ch.codePointAt(0) as number).toString(16).padStart(2, '0')}`;
}
