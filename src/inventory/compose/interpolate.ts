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

// Sticky: tried at one position, without slicing the rest of the template off for each `$`
// (a slice per `$` made `$a$a$a…` quadratic).
const NAME = /[_a-z][_a-z0-9]*/iy;
const BRACED = /^([_a-z][_a-z0-9]*)(?:(:?[-+?])([\s\S]*))?$/i;

/**
 * How deep `${…}` may nest in a default, alternative or message. Real compose files nest two or
 * three; each level rescans the rest of the value and recurses, so a value nested thousands
 * deep took seconds and then overflowed the stack (issue 16). Deeper is an error of the file.
 */
export const MAX_INTERPOLATION_NESTING = 100;
/** The longest value interpolation may produce (`.env`'s `B=${A}${A}`, `C=${B}${B}`, … doubles each line). */
export const MAX_INTERPOLATED_LENGTH = 1024 * 1024;

/** A lookup over an env record that ignores inherited properties (`constructor`, …). */
export function lookupIn(env: Readonly<Record<string, string | undefined>>): VariableLookup {
  return (name) => (Object.hasOwn(env, name) ? env[name] : undefined);
}

export function interpolate(template: string, lookup: VariableLookup): InterpolationResult {
  return interpolateAt(template, { lookup, closes: closingBraces(template), base: 0 }, 0);
}

interface Scan {
  readonly lookup: VariableLookup;
  /** For each `${` of the whole value, where its `}` is (-1: none); see {@link closingBraces}. */
  readonly closes: Int32Array;
  /** Where the text being interpolated starts in the whole value (a default is a slice of it). */
  readonly base: number;
}

function interpolateAt(template: string, scan: Scan, depth: number): InterpolationResult {
  if (depth > MAX_INTERPOLATION_NESTING) {
    return { ok: false, error: `\${…} nested more than ${MAX_INTERPOLATION_NESTING} deep; basewatch does not interpolate it (simplify the value)` };
  }
  let out = '';
  let i = 0;
  while (i < template.length) {
    if (out.length > MAX_INTERPOLATED_LENGTH) return tooLong();
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
      const closeInValue = scan.closes[scan.base + dollar] ?? -1;
      if (closeInValue < 0) return invalid(template);
      const close = closeInValue - scan.base;
      const result = substituteBraced(template.slice(dollar + 2, close), { ...scan, base: scan.base + dollar + 2 }, template, depth);
      if (!result.ok) return result;
      out += result.value;
      i = close + 1;
      continue;
    }
    NAME.lastIndex = dollar + 1;
    const name = NAME.exec(template)?.[0];
    if (name !== undefined) {
      out += scan.lookup(name) ?? '';
      i = dollar + 1 + name.length;
      continue;
    }
    out += '$';
    i = dollar + 1;
  }
  if (out.length > MAX_INTERPOLATED_LENGTH) return tooLong();
  return { ok: true, value: out };
}

function tooLong(): InterpolationResult {
  return { ok: false, error: `interpolation gives a value longer than ${MAX_INTERPOLATED_LENGTH / 1024 / 1024} MiB` };
}

/**
 * Where the `}` closing each `${` is, counting nested `${` (and, as Compose's own scan does, a
 * `${` after `$$`), found in one pass over the whole value: rescanning the rest of the value for
 * each `${` made nested defaults quadratic.
 */
function closingBraces(s: string): Int32Array {
  const closes = new Int32Array(s.length).fill(-1);
  const open: number[] = [];
  for (let j = 0; j < s.length; j++) {
    if (s.charCodeAt(j) === 0x24 && s.charCodeAt(j + 1) === 0x7b) {
      open.push(j);
      j++;
    } else if (s.charCodeAt(j) === 0x7d) {
      const opener = open.pop();
      if (opener !== undefined) closes[opener] = j;
    }
  }
  return closes;
}

function substituteBraced(body: string, scan: Scan, template: string, depth: number): InterpolationResult {
  const match = BRACED.exec(body);
  const name = match?.[1];
  if (match === null || name === undefined) return invalid(template);
  const operator = match[2];
  const argument = match[3] ?? '';
  // The argument is the end of the body: where it starts in the whole value.
  const argumentScan = { ...scan, base: scan.base + body.length - argument.length };
  const nested = (text: string): InterpolationResult => interpolateAt(text, argumentScan, depth + 1);
  const lookup = scan.lookup;
  const value = lookup(name);
  const isSet = value !== undefined;
  const isNonEmpty = isSet && value !== '';
  switch (operator) {
    case undefined:
      return { ok: true, value: value ?? '' };
    case ':-':
      return isNonEmpty ? { ok: true, value } : nested(argument);
    case '-':
      return isSet ? { ok: true, value } : nested(argument);
    case ':+':
      return isNonEmpty ? nested(argument) : { ok: true, value: '' };
    case '+':
      return isSet ? nested(argument) : { ok: true, value: '' };
    case ':?':
      return isNonEmpty ? { ok: true, value } : missing(name, argument, nested);
    case '?':
      return isSet ? { ok: true, value } : missing(name, argument, nested);
    default:
      return invalid(template);
  }
}

function missing(name: string, message: string, nested: (text: string) => InterpolationResult): InterpolationResult {
  const reason = nested(message);
  if (!reason.ok) return reason;
  const suffix = reason.value === '' ? '' : `: ${reason.value}`;
  return { ok: false, error: `required variable ${name} is missing a value${suffix}` };
}

function invalid(template: string): InterpolationResult {
  // A hostile value can be megabytes long: the message shows its start.
  const shown = template.length > 120 ? `${template.slice(0, 120)}…` : template;
  return { ok: false, error: `invalid interpolation format in ${JSON.stringify(shown)}` };
}
