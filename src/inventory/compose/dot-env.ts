/**
 * Compose's `.env` format, as compose-go's `dotenv` parser reads it:
 * - `KEY=VALUE` or `KEY: VALUE`, optional `export ` prefix, blank lines and `#` comment lines;
 * - unquoted values end at the line end or the first `#` and are trimmed;
 * - `'single'` quotes are literal and may span lines;
 * - `"double"` quotes may span lines and understand `\n`, `\r`, `\"`, `\\`, `\$`;
 * - unquoted and double-quoted values interpolate `${VAR}` from earlier keys, then `env`;
 * - a bare `KEY` line takes KEY's value from `env` (left out when unset there).
 * Compose rejects the whole file on a malformed line; this parser has no error channel
 * in its contract, so it skips the malformed line and goes on.
 * Precedence (the process environment overrides `.env`) is the caller's job.
 */
import { interpolate } from './interpolate.js';

const KEY = /^[\p{L}\p{N}_.]+$/u;

export function parseDotEnv(
  content: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  const lookup = (name: string): string | undefined =>
    Object.hasOwn(out, name) ? out[name] : Object.hasOwn(env, name) ? env[name] : undefined;
  const expand = (value: string): string => {
    const result = interpolate(value, lookup);
    return result.ok ? result.value : '';
  };

  const text = content.replace(/\r\n/g, '\n');
  let pos = 0;
  while (pos < text.length) {
    const lineEnd = endOfLine(text, pos);
    const line = text.slice(pos, lineEnd).trim();
    if (line === '' || line.startsWith('#')) {
      pos = lineEnd + 1;
      continue;
    }
    const statement = line.replace(/^export\s+/, '');
    const separator = statement.search(/[=:]/);
    if (separator < 0) {
      const value = KEY.test(statement) ? lookup(statement) : undefined;
      if (value !== undefined) out[statement] = value;
      pos = lineEnd + 1;
      continue;
    }
    const key = statement.slice(0, separator).trim();
    if (!KEY.test(key)) {
      pos = lineEnd + 1;
      continue;
    }
    // The value starts after the separator in the original text, so quoted values can span lines.
    const lineStart = pos + text.slice(pos, lineEnd).indexOf(statement.slice(0, separator + 1));
    let valueStart = lineStart + separator + 1;
    while (text[valueStart] === ' ' || text[valueStart] === '\t') valueStart++;
    const quote = text[valueStart];
    if (quote === '"' || quote === "'") {
      const close = closingQuote(text, valueStart + 1, quote);
      if (close < 0) {
        pos = lineEnd + 1;
        continue;
      }
      const raw = text.slice(valueStart + 1, close);
      out[key] = quote === "'" ? raw : expand(unescapeDoubleQuoted(raw));
      pos = close + 1;
      continue;
    }
    const raw = text.slice(valueStart, lineEnd);
    out[key] = expand((raw.split('#')[0] ?? '').trimEnd());
    pos = lineEnd + 1;
  }
  return out;
}

function endOfLine(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end < 0 ? text.length : end;
}

function closingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === quote && text[i - 1] !== '\\') return i;
  }
  return -1;
}

/** `\$` becomes `$$` so that interpolation leaves a literal `$`. */
function unescapeDoubleQuoted(raw: string): string {
  return raw.replace(/\\(.)/gs, (_match, c: string) => {
    if (c === 'n') return '\n';
    if (c === 'r') return '\r';
    if (c === '$') return '$$';
    return c;
  });
}
