/** Durations as people write them in settings and on the command line: "90s", "30m", "1h", "2d", "1h30m", "0". */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '0') return 0;
  if (!/^(\d+(?:\.\d+)?[smhdw])+$/.test(trimmed)) return null;
  let seconds = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) seconds += Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1);
  return Math.round(seconds);
}

export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
