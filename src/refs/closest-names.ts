/**
 * "Did you mean …" for a name that matches nothing (an image tag, a folder, a linked image):
 * the known names closest to it by edit distance. Pure.
 */
import { compareText } from '../util/compare-text.js';

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Up to `limit` names within a distance that grows with the typed name's length (a third of it,
 * at least 2), closest first; a name that starts with or contains what was typed counts as close.
 */
export function closestNames(typed: string, known: Iterable<string>, limit = 3): string[] {
  const wanted = typed.toLowerCase();
  const allowed = Math.max(2, Math.floor(wanted.length / 3));
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of new Set(known)) {
    if (name === typed) continue;
    const lower = name.toLowerCase();
    const distance = editDistance(wanted, lower);
    const contains = wanted.length >= 3 && (lower.includes(wanted) || wanted.includes(lower));
    if (distance <= allowed || contains) scored.push({ name, score: contains ? Math.min(distance, allowed) : distance });
  }
  return scored
    .sort((a, b) => a.score - b.score || compareText(a.name, b.name))
    .slice(0, limit)
    .map((entry) => entry.name);
}

/** `; did you mean a or b?`, or '' when nothing is close. */
export function didYouMean(typed: string, known: Iterable<string>): string {
  const close = closestNames(typed, known);
  if (close.length === 0) return '';
  return `; did you mean ${close.length === 1 ? close[0] : `${close.slice(0, -1).join(', ')} or ${close[close.length - 1]}`}?`;
}
