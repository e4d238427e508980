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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * The parts of a moment human output shows, as Intl's en-CA date, en-GB 24-hour time and en-US
 * short month spell them. In the machine's own zone they come from Date's local getters: Intl's
 * first use loads ICU's data, about a third of a bare `node` start, and `status` must start
 * about as fast as one (issue 14). A test keeps both ways equal.
 */
function momentParts(d: Date, timeZone?: string): { day: string; time: string; monthDay: string; year: string } {
  if (timeZone === undefined) {
    return {
      day: `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`,
      time: `${two(d.getHours())}:${two(d.getMinutes())}`,
      monthDay: `${MONTHS[d.getMonth()]} ${d.getDate()}`,
      year: String(d.getFullYear()),
    };
  }
  return intlMomentParts(d, timeZone);
}

/** The same parts through Intl, in any zone (exported for the test that keeps both equal). */
export function intlMomentParts(d: Date, timeZone?: string): { day: string; time: string; monthDay: string; year: string } {
  const zone = timeZone === undefined ? {} : { timeZone };
  return {
    day: d.toLocaleDateString('en-CA', zone),
    time: d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, ...zone }),
    monthDay: d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', ...zone }),
    year: d.toLocaleDateString('en-US', { year: 'numeric', ...zone }),
  };
}

/** The local calendar day, `2026-12-06` (in `timeZone` when given: tests). */
export function localDay(d: Date, timeZone?: string): string {
  return momentParts(d, timeZone).day;
}

/** Local clock time; the date too when it is not today. */
export function describeClock(at: Date, now: Date, timeZone?: string): string {
  const moment = momentParts(at, timeZone);
  const today = momentParts(now, timeZone);
  if (moment.day === today.day) return moment.time;
  return `${moment.monthDay}${moment.year === today.year ? '' : ` ${moment.year}`} ${moment.time}`;
}

/** "14:05 (12 min ago)"; an unreadable time is shown as it is. */
export function describeWhen(at: string | Date, now: Date, timeZone?: string): string {
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return String(at);
  return `${describeClock(date, now, timeZone)} (${describeRelative(date, now)})`;
}
