/**
 * `Www-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"` or
 * `Basic realm="…"`. Several challenges may share one header (fetch joins repeated headers
 * with ", "), so a bare token after a parameter list starts a new challenge.
 */

export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`, … */
  readonly scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

export function parseWwwAuthenticate(header: string | null | undefined): AuthChallenge[] {
  if (header == null) return [];
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let rest = header;
  let current: { scheme: string; params: Record<string, string> } | null = null;

  const skip = (pattern: RegExp): void => {
    rest = rest.replace(pattern, '');
  };

  while (true) {
    skip(/^[\s,]+/);
    if (rest === '') break;
    const name = TOKEN.exec(rest)?.[0];
    if (name === undefined) break; // garbage: keep what parsed so far
    rest = rest.slice(name.length);
    skip(/^\s*/);
    if (!rest.startsWith('=')) {
      // A token not followed by "=" is a scheme; token68 credentials (`Negotiate abc==`) are
      // not something a registry sends, so they are not handled.
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
      continue;
    }
    rest = rest.slice(1);
    skip(/^\s*/);
    let value: string;
    if (rest.startsWith('"')) {
      value = '';
      let i = 1;
      for (; i < rest.length; i++) {
        const ch = rest[i];
        if (ch === '\\' && i + 1 < rest.length) {
          value += rest[i + 1];
          i++;
        } else if (ch === '"') {
          break;
        } else {
          value += ch;
        }
      }
      rest = rest.slice(i + 1);
    } else {
      value = /^[^,\s]*/.exec(rest)?.[0] ?? '';
      rest = rest.slice(value.length);
    }
    if (current !== null) current.params[name.toLowerCase()] = value;
  }
  return challenges;
}
