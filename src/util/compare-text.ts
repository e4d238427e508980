/**
 * `a.localeCompare(b)` without ICU's collator for the text basewatch sorts: image names, refs and
 * paths, ASCII nearly always. The first localeCompare of a process loads the collator, 10–35 ms
 * of a warm `check` (project issue 14). For printable ASCII this is the root locale's order
 * (read off Node's ICU): punctuation in its order, then digits, then letters with case ignored;
 * on a tie, lowercase first. It does not follow LANG (a Danish locale sorts `aa` after `z`):
 * machine names sort the same everywhere, in JSON too. Any other character falls back to
 * localeCompare itself.
 */
const PRIMARY_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz';

const PRIMARY = new Int16Array(128).fill(-1);
for (let i = 0; i < PRIMARY_ORDER.length; i++) PRIMARY[PRIMARY_ORDER.charCodeAt(i)] = i;
for (let upper = 65; upper <= 90; upper++) PRIMARY[upper] = PRIMARY[upper + 32]!;

function primaryOf(code: number): number {
  return code < 128 ? PRIMARY[code]! : -1;
}

function allKnownFrom(text: string, start: number): boolean {
  for (let i = start; i < text.length; i++) if (primaryOf(text.charCodeAt(i)) < 0) return false;
  return true;
}

/** Negative, zero or positive, as `a.localeCompare(b)` in the root locale. */
export function compareText(a: string, b: string): number {
  const shared = Math.min(a.length, b.length);
  // Case decides only when nothing else does: the first case difference is kept for then.
  let byCase = 0;
  for (let i = 0; i < shared; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const px = primaryOf(x);
    const py = primaryOf(y);
    if (px < 0 || py < 0) return a.localeCompare(b);
    if (px !== py) {
      // A character further on that the table does not know could weigh differently: ask ICU.
      if (!allKnownFrom(a, i) || !allKnownFrom(b, i)) return a.localeCompare(b);
      return px < py ? -1 : 1;
    }
    // Same letter, other case: lowercase sorts first.
    if (byCase === 0) byCase = x > y ? -1 : 1;
  }
  if (!allKnownFrom(a, shared) || !allKnownFrom(b, shared)) return a.localeCompare(b);
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return byCase;
}
