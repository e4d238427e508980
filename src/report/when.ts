/**
 * The one way human output shows a moment: local time, with how long ago (or until) when that
 * helps, e.g. "14:05 (12 min ago)", "Dec 4 09:30 (2 days ago)", "15:00 (in 3 h)".
 * `timeZone` is for tests; people get the machine's own.
 */
export function describeSpan(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s} s`;
  // 59.5 min and more rounds to an hour: said as "1 h", never "60 min".
  if (Math.round(s / 60) < 60) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 360) / 10} h`;
  const days = Math.round(s / 8640) / 10;
  return `${days} day${days === 1 ? '' : 's'}`;
}

/** "12 min ago", "in 3 h", "just now". */
export function describeRelative(at: Date, now: Date): string {
  const seconds = (at.getTime() - now.getTime()) / 1000;
  if (Math.abs(seconds) < 5) return 'just now';
  return seconds > 0 ? `in ${describeSpan(seconds)}` : `${describeSpan(seconds)} ago`;
}

/** Local clock time; the date too when it is not today. */
export function describeClock(at: Date, now: Date, timeZone?: string): string {
  const zone = timeZone === undefined ? {} : { timeZone };
  const day = (d: Date): string => d.toLocaleDateString('en-CA', zone);
  const time = at.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, ...zone });
  if (day(at) === day(now)) return time;
  const date = at.toLocaleDateString('en-US', { month: 'short', day: 'numeric', ...zone });
  const year = at.toLocaleDateString('en-US', { year: 'numeric', ...zone });
  const thisYear = now.toLocaleDateString('en-US', { year: 'numeric', ...zone });
  return `${date}${year === thisYear ? '' : ` ${year}`} ${time}`;
}

/** "14:05 (12 min ago)"; an unreadable time is shown as it is. */
export function describeWhen(at: string | Date, now: Date, timeZone?: string): string {
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return String(at);
  return `${describeClock(date, now, timeZone)} (${describeRelative(date, now)})`;
}
