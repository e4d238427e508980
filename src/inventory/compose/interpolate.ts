/**
 * Compose variable interpolation (compose-go `template.Substitute`):
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`,
 * `${VAR:?message}`, `${VAR?message}` and `$$` for a literal `$`. Defaults, alternatives
 * and messages may nest further `${...}`. A `$` that starts none of these (`$1`, a trailing
 * `$`) stays literal, as in Compose; a malformed `${...}` is an error.
 */

/** Looks a variable up; `undefined` means unset (different from empty for `-`, `+`, `?`). */
export type VariableLookup = (name: string) => string | undefined;

export type InterpolationResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly error: string };

const NAME = /^[_a-z][_a-z0-9]*/i;
const BRACED = /^([_a-z][_a-z0-9]*)(?:(:?[-+?])([\s\S]*))?$/i;

/** A lookup over an env record that ignores inherited properties (`constructor`, …). */
export function lookupIn(env: Readonly<Record<string, string | undefined>>): VariableLookup {
  return (name) => (Object.hasOwn(env, name) ? env[name] : undefined);
}

export function interpolate(template: string, lookup: VariableLookup): InterpolationResult {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    const next = template[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next === '{') {
      const close = closingBrace(template, dollar + 2);
      if (close < 0) return invalid(template);
      const result = substituteBraced(template.slice(dollar + 2, close), lookup, template);
      if (!result.ok) return result;
      out += result.value;
      i = close + 1;
      continue;
    }
    const name = NAME.exec(template.slice(dollar + 1))?.[0];
    if (name !== undefined) {
      out += lookup(name) ?? '';
      i = dollar + 1 + name.length;
      continue;
    }
    out += '$';
    i = dollar + 1;
  }
  return { ok: true, value: out };
}

/** Index of the `}` closing a `${` whose body starts at `from`, counting nested `${`. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s.startsWith('${', j)) {
      depth++;
      j++;
    } else if (s[j] === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function substituteBraced(body: string, lookup: VariableLookup, template: string): InterpolationResult {
  const match = BRACED.exec(body);
  const name = match?.[1];
  if (match === null || name === undefined) return invalid(template);
  const operator = match[2];
  const argument = match[3] ?? '';
  const value = lookup(name);
  const isSet = value !== undefined;
  const isNonEmpty = isSet && value !== '';
  switch (operator) {
    case undefined:
      return { ok: true, value: value ?? '' };
    case ':-':
      return isNonEmpty ? { ok: true, value } : interpolate(argument, lookup);
    case '-':
      return isSet ? { ok: true, value } : interpolate(argument, lookup);
    case ':+':
      return isNonEmpty ? interpolate(argument, lookup) : { ok: true, value: '' };
    case '+':
      return isSet ? interpolate(argument, lookup) : { ok: true, value: '' };
    case ':?':
      return isNonEmpty ? { ok: true, value } : missing(name, argument, lookup);
    case '?':
      return isSet ? { ok: true, value } : missing(name, argument, lookup);
    default:
      return invalid(template);
  }
}

function missing(name: string, message: string, lookup: VariableLookup): InterpolationResult {
  const reason = interpolate(message, lookup);
  if (!reason.ok) return reason;
  const suffix = reason.value === '' ? '' : `: ${reason.value}`;
  return { ok: false, error: `required variable ${name} is missing a value${suffix}` };
}

function invalid(template: string): InterpolationResult {
  return { ok: false, error: `invalid interpolation format in ${JSON.stringify(template)}` };
}
