/**
 * Variable expansion of one Dockerfile word, following BuildKit's shell lexer
 * (frontend/dockerfile/shell/lex.go, `ProcessWord`): quotes are removed, `$VAR`,
 * `${VAR}`, `${VAR:-w}`, `${VAR-w}`, `${VAR:+w}`, `${VAR+w}`, `${VAR:?w}`, `${VAR?w}`,
 * `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}`, `${VAR/p/r}`, `${VAR//p/r}` are
 * expanded, the escape character escapes the next character, unset variables become "".
 *
 * dockerfile-ast's own `getExpandedArguments()` cannot be used: it knows no modifiers,
 * resolves every ARG/ENV in the file regardless of BuildKit's scoping, and keeps quotes.
 */

import { type Instruction, type Piece, type Program, matchEnds, program, searchProgram, sequence, star } from '../../util/linear-match.js';

/** Returns the variable's value, or undefined when it is not set (distinct from ""). */
export type VariableLookup = (name: string) => string | undefined;

export type ExpandResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: string };

class ExpandError extends Error {}

/**
 * How deep `${…}` may nest in one word. Real Dockerfiles nest two or three; BuildKit has no
 * bound, but a recursive lexer on a word nested thousands deep overflows the stack (issue 16:
 * "Maximum call stack size exceeded", exit 70). Deeper is a per-file error.
 */
export const MAX_EXPANSION_NESTING = 100;
/**
 * The longest value one word may expand to. `ARG B=$A$A`, `ARG C=$B$B`, … doubles on each line:
 * forty lines would ask for a terabyte. Far above any image reference or build arg.
 */
export const MAX_EXPANDED_LENGTH = 1024 * 1024;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
// Shell special parameters ($@, $*, …): BuildKit reads them as one-character names that are never set.
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

class WordLexer {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly lookup: VariableLookup,
    private readonly escapeChar: string,
  ) {}

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private next(): string | undefined {
    const ch = this.text[this.pos];
    if (ch !== undefined) this.pos++;
    return ch;
  }

  /** Processes until `stop` (consumed) or the end of the word when `stop` is null. */
  processUntil(stop: string | null, rawEscapes = false): string {
    let result = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (result.length > MAX_EXPANDED_LENGTH) throw tooLong();
      if (ch === stop) {
        this.pos++;
        return result;
      }
      if (ch === "'") result += this.singleQuoted();
      else if (ch === '"') result += this.doubleQuoted();
      else if (ch === '$') result += this.dollar();
      else {
        this.pos++;
        if (ch === this.escapeChar) {
          const escaped = this.next();
          // A trailing escape character is dropped, as BuildKit does.
          if (escaped === undefined) break;
          // Patterns keep their escapes so that `\*` stays a literal star when matched.
          result += rawEscapes ? ch + escaped : escaped;
        } else {
          result += ch;
        }
      }
    }
    if (stop !== null) throw new ExpandError(`unexpected end of statement while looking for matching ${stop}`);
    return result;
  }

  private singleQuoted(): string {
    this.pos++;
    const end = this.text.indexOf("'", this.pos);
    if (end < 0) throw new ExpandError('unexpected end of statement while looking for matching single-quote');
    const value = this.text.slice(this.pos, end);
    this.pos = end + 1;
    return value;
  }

  private doubleQuoted(): string {
    this.pos++;
    let result = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (result.length > MAX_EXPANDED_LENGTH) throw tooLong();
      if (ch === '"') {
        this.pos++;
        return result;
      }
      if (ch === '$') {
        result += this.dollar();
        continue;
      }
      this.pos++;
      if (ch === this.escapeChar) {
        const escaped = this.peek();
        if (escaped === undefined) continue;
        // Inside double quotes only `"`, `$` and the escape character itself can be escaped.
        if (escaped === '"' || escaped === '$' || escaped === this.escapeChar) {
          this.pos++;
          result += escaped;
          continue;
        }
      }
      result += ch;
    }
    throw new ExpandError('unexpected end of statement while looking for matching double-quote');
  }

  private name(): string {
    const first = this.peek();
    if (first === undefined) return '';
    if (DIGIT.test(first)) {
      let digits = '';
      while (this.peek() !== undefined && DIGIT.test(this.peek() ?? '')) digits += this.next();
      return digits;
    }
    if (SPECIAL_PARAMS.has(first)) return this.next() ?? '';
    if (!NAME_START.test(first)) return '';
    let name = '';
    while (this.peek() !== undefined && NAME_CHAR.test(this.peek() ?? '')) name += this.next();
    return name;
  }

  private dollar(): string {
    this.pos++;
    if (this.peek() !== '{') {
      const name = this.name();
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.pos++;
    this.depth++;
    try {
      if (this.depth > MAX_EXPANSION_NESTING) {
        throw new ExpandError(`\${…} nested more than ${MAX_EXPANSION_NESTING} deep; basewatch does not expand it (simplify the word)`);
      }
      return this.braced();
    } finally {
      this.depth--;
    }
  }

  /** After `${`. */
  private braced(): string {
    const first = this.peek();
    if (first === undefined) throw new ExpandError("syntax error: missing '}'");
    const name = this.name();
    if (name === '') throw new ExpandError('syntax error: bad substitution');
    const op = this.next();
    if (op === undefined) throw new ExpandError("syntax error: missing '}'");
    if (op === '}') return this.lookup(name) ?? '';

    let modifier = op;
    if (op === ':') {
      const second = this.next();
      if (second === undefined) throw new ExpandError("syntax error: missing '}'");
      modifier += second;
    } else if ((op === '#' || op === '%' || op === '/') && this.peek() === op) {
      modifier += this.next();
    }
    const value = this.lookup(name);

    switch (modifier) {
      case '-':
      case ':-':
      case '+':
      case ':+':
      case '?':
      case ':?': {
        const word = this.modifierWord('}');
        const unset = value === undefined || (modifier.startsWith(':') && value === '');
        if (modifier.endsWith('-')) return unset ? word : (value ?? '');
        if (modifier.endsWith('+')) return unset ? '' : word;
        if (unset) {
          const why = value === undefined ? 'is not allowed to be unset' : 'is not allowed to be empty';
          throw new ExpandError(`${name}: ${word === '' ? why : word}`);
        }
        return value ?? '';
      }
      case '#':
      case '##':
      case '%':
      case '%%': {
        const pattern = this.modifierWord('}', true);
        return removeAffix(value ?? '', pattern, modifier, this.escapeChar);
      }
      case '/':
      case '//': {
        const pattern = this.modifierWord('/', true);
        const replacement = this.modifierWord('}');
        return replaceGlob(value ?? '', pattern, replacement, modifier === '//', this.escapeChar);
      }
      default:
        throw new ExpandError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  private modifierWord(stop: string, rawEscapes = false): string {
    try {
      return this.processUntil(stop, rawEscapes);
    } catch (error) {
      if (this.peek() === undefined) throw new ExpandError("syntax error: missing '}'");
      throw error;
    }
  }
}

/**
 * A shell glob (`*`, `?`, `[…]`, `[!…]`, escaped characters) as a linear-time program over UTF-16
 * units (util/linear-match): a RegExp built from it backtracks exponentially on `*?*?*?…b`
 * against a long value (issue 16), this cannot.
 */
function globProgram(pattern: string, escapeChar: string, reversed = false): Program {
  const pieces: Piece[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    const classEnd = ch === '[' ? pattern.indexOf(']', i + 2) : -1;
    if (ch === escapeChar && i + 1 < pattern.length) pieces.push(unit(pattern.charCodeAt(++i)));
    else if (classEnd > 0) {
      // A bracket class like `[0-9]` or `[!.]`; `]` right after `[` belongs to the class.
      const body = pattern.slice(i + 1, classEnd);
      let regex: RegExp;
      try {
        regex = new RegExp(`^[${body.replace(/^!/, '^').replace(/\\/g, '\\\\')}]$`, 's');
      } catch {
        throw new ExpandError(`invalid character class [${body}] in pattern`);
      }
      pieces.push([{ op: 'char', test: (code) => regex.test(String.fromCharCode(code)) }]);
      i = classEnd;
    } else if (ch === '*') {
      // `**` is `*`: one star, so a run of them is not a run of nested loops.
      if (pattern[i - 1] !== '*' || pattern[i - 2] === escapeChar) pieces.push(star([ANY_UNIT]));
    } else if (ch === '?') pieces.push([ANY_UNIT]);
    else pieces.push(unit(pattern.charCodeAt(i)));
  }
  if (reversed) pieces.reverse();
  return program(sequence(pieces));
}

const ANY_UNIT: Instruction = { op: 'char', test: () => true };

function unit(code: number): Piece {
  return [{ op: 'char', test: (c) => c === code }];
}

function unitsOf(text: string): number[] {
  const units = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return units;
}

/** `${VAR/p/r}` replaces the first (leftmost-first) match of `p`, `${VAR//p/r}` every one. */
function replaceGlob(value: string, pattern: string, replacement: string, all: boolean, escapeChar: string): string {
  const matcher = globProgram(pattern, escapeChar);
  const units = unitsOf(value);
  let out = '';
  let at = 0;
  while (at <= units.length) {
    const found = searchProgram(matcher, units, at);
    if (found === null) break;
    out += value.slice(at, found.start) + replacement;
    if (found.end === found.start) {
      // An empty match: keep one character and look again after it, as String.replace does.
      out += value.slice(found.end, found.end + 1);
      at = found.end + 1;
    } else at = found.end;
    if (!all) break;
  }
  return at <= value.length ? out + value.slice(at) : out;
}

/** `${VAR#p}` / `${VAR##p}` strip the shortest / longest matching prefix, `%` / `%%` the suffix. */
function removeAffix(value: string, pattern: string, modifier: string, escapeChar: string): string {
  const longest = modifier.length === 2;
  if (modifier.startsWith('#')) {
    const ends = matchEnds(globProgram(pattern, escapeChar), unitsOf(value));
    if (ends.length === 0) return value;
    return value.slice(longest ? (ends.at(-1) as number) : (ends[0] as number));
  }
  // A suffix of the value is a prefix of it reversed, matched by the pattern reversed.
  const reversedUnits = unitsOf(value).reverse();
  const ends = matchEnds(globProgram(pattern, escapeChar, true), reversedUnits);
  if (ends.length === 0) return value;
  return value.slice(0, value.length - (longest ? (ends.at(-1) as number) : (ends[0] as number)));
}

function tooLong(): ExpandError {
  return new ExpandError(`expands to more than ${MAX_EXPANDED_LENGTH / 1024 / 1024} MiB; basewatch does not expand it`);
}

/** Expands one word; never throws, bad syntax is reported as a value. */
export function expandWord(word: string, lookup: VariableLookup, escapeChar = '\\'): ExpandResult {
  try {
    const value = new WordLexer(word, lookup, escapeChar).processUntil(null);
    if (value.length > MAX_EXPANDED_LENGTH) throw tooLong();
    return { ok: true, value };
  } catch (error) {
    if (error instanceof ExpandError) return { ok: false, error: error.message };
    throw error;
  }
}

/** A lookup over a chain of maps, first match wins. */
export function lookupIn(...scopes: ReadonlyArray<ReadonlyMap<string, string>>): VariableLookup {
  return (name) => {
    for (const scope of scopes) {
      const value = scope.get(name);
      if (value !== undefined) return value;
    }
    return undefined;
  };
}
