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

/** Returns the variable's value, or undefined when it is not set (distinct from ""). */
export type VariableLookup = (name: string) => string | undefined;

export type ExpandResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: string };

class ExpandError extends Error {}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
// Shell special parameters ($@, $*, …): BuildKit reads them as one-character names that are never set.
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

class WordLexer {
  private pos = 0;

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
        const regex = globToRegExp(pattern, this.escapeChar, modifier === '//' ? 'g' : '');
        return (value ?? '').replace(regex, () => replacement);
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

/** Converts a shell glob (`*`, `?`, `[…]`, escaped characters) into a regular expression. */
function globToRegExp(pattern: string, escapeChar: string, flags: string, whole = false): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    const classEnd = ch === '[' ? pattern.indexOf(']', i + 2) : -1;
    if (ch === escapeChar && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] ?? '');
    else if (classEnd > 0) {
      // A bracket class like `[0-9]` or `[!.]`; `]` right after `[` belongs to the class.
      const body = pattern.slice(i + 1, classEnd);
      source += `[${body.replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = classEnd;
    } else if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += escapeRegExp(ch);
  }
  return new RegExp(whole ? `^(?:${source})$` : source, flags);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `${VAR#p}` / `${VAR##p}` strip the shortest / longest matching prefix, `%` / `%%` the suffix. */
function removeAffix(value: string, pattern: string, modifier: string, escapeChar: string): string {
  const matches = globToRegExp(pattern, escapeChar, '', true);
  const longest = modifier.length === 2;
  const cuts = [...Array(value.length + 1).keys()];
  if (modifier.startsWith('#')) {
    for (const cut of longest ? cuts.reverse() : cuts) {
      if (matches.test(value.slice(0, cut))) return value.slice(cut);
    }
  } else {
    for (const cut of longest ? cuts : cuts.reverse()) {
      if (matches.test(value.slice(cut))) return value.slice(0, cut);
    }
  }
  return value;
}

/** Expands one word; never throws, bad syntax is reported as a value. */
export function expandWord(word: string, lookup: VariableLookup, escapeChar = '\\'): ExpandResult {
  try {
    return { ok: true, value: new WordLexer(word, lookup, escapeChar).processUntil(null) };
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
