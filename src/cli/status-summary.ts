/**
 * The line `basewatch status` opens with ("3 outdated · 1 waiting for minimumAge (12 min) ·
 * 2 rebased today") and the one command to run next. Pure: the state is read by the caller.
 */
import type { CheckReport } from '../report/check-report.js';
import { describeSpan, localDay } from '../report/when.js';
import { familiarImageRef, parseImageRef } from '../refs/image-ref.js';

function familiarName(ref: string): string {
  const parsed = parseImageRef(ref);
  return parsed.ok ? familiarImageRef(parsed.ref) : ref;
}

export interface StatusSummaryInput {
  /** The last check's report, or null when none is recorded. */
  readonly report: CheckReport | null;
  readonly lastCheckAt: string | null;
  /** When each upstream digest was first seen, by `<ref> <platform>` (resolve/upstream-seen). */
  readonly firstSeen: Readonly<Record<string, { readonly digest: string; readonly firstSeenAt: string }>>;
  /** null when the settings cannot be read: then nothing is said to be waiting. */
  readonly minimumAgeSeconds: number | null;
  /** Finished rebases, rebuilds and rollbacks (history), any order. */
  readonly actions: readonly { readonly kind: string; readonly at: string }[];
  readonly daemonRunning: boolean;
  readonly now: Date;
  /** The local day, for "today"; tests pass one. */
  readonly timeZone?: string;
}

export interface StatusSummary {
  readonly line: string;
  readonly next: string;
}

/** A check older than this is worth running again before acting on it. */
const STALE_CHECK_SECONDS = 86_400;

export function summarizeStatus(input: StatusSummaryInput): StatusSummary {
  const report = input.report;
  if (report === null) return { line: 'No check recorded yet', next: 'basewatch check' };
  const outdated = report.images.filter((image) => image.status === 'outdated');
  const waits: number[] = [];
  if (input.minimumAgeSeconds !== null && input.minimumAgeSeconds > 0) {
    for (const image of outdated) {
      const base = image.base;
      if (base === null || base.latest === null) continue;
      const seen = input.firstSeen[`${base.ref} ${image.platform}`];
      if (seen === undefined || seen.digest !== base.latest) continue;
      const left = input.minimumAgeSeconds - (input.now.getTime() - Date.parse(seen.firstSeenAt)) / 1000;
      if (left > 0) waits.push(left);
    }
  }
  const errors = report.images.filter((image) => image.status === 'error').length + report.errors.length;
  const day = (date: Date): string => localDay(date, input.timeZone);
  const today = day(input.now);
  const doneToday = new Map<string, number>();
  for (const action of input.actions) {
    if (day(new Date(action.at)) === today) doneToday.set(action.kind, (doneToday.get(action.kind) ?? 0) + 1);
  }
  const unlinked = report.images.filter((image) => image.suggestedLink !== undefined);
  // A Dockerfile's FROM whose local copy is older than upstream: the image may be rebased already,
  // but the next plain \`docker build\` would use the stale copy (a digest pin is policy pin's).
  // Said once no image is outdated: before, the update (or its minimumAge wait) comes first.
  const toPull = outdated.length > 0 ? [] : [
    ...new Set(report.dockerfiles.flatMap((file) => file.bases.filter((base) => base.status === 'outdated' && base.pinned === null && base.local !== null).map((base) => base.ref))),
  ];
  const parts: string[] = [];
  const actionable = outdated.length - waits.length;
  parts.push(outdated.length === 0 ? 'nothing outdated' : `${outdated.length} outdated`);
  if (waits.length > 0) parts.push(`${waits.length} waiting for minimumAge (${describeSpan(Math.max(...waits))})`);
  if (errors > 0) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  if (unlinked.length > 0) parts.push(`${unlinked.length} to link`);
  if (toPull.length > 0) parts.push(`${toPull.length} base${toPull.length === 1 ? '' : 's'} to pull`);
  const past: Record<string, string> = { rebase: 'rebased', rebuild: 'rebuilt', rollback: 'rolled back' };
  for (const [kind, count] of doneToday) parts.push(`${count} ${past[kind] ?? kind} today`);

  const age = input.lastCheckAt === null ? Infinity : (input.now.getTime() - Date.parse(input.lastCheckAt)) / 1000;
  let next: string;
  if (age > STALE_CHECK_SECONDS && !input.daemonRunning) next = 'basewatch check';
  else if (actionable > 0) next = 'basewatch update --dry-run';
  else if (toPull.length > 0) next = `docker pull ${familiarName(toPull[0]!)}${toPull.length > 1 ? ` (and ${toPull.length - 1} more)` : ''}`;
  else if (unlinked.length > 0) next = unlinked[0]?.suggestedLink?.command ?? 'basewatch check';
  else if (errors > 0) next = 'basewatch check';
  // A wait says what would act now too (issue 15: no command leaves the user stuck behind one).
  else if (waits.length > 0) next = input.daemonRunning ? 'nothing: the daemon acts when the wait is over' : `basewatch update, in ${describeSpan(Math.max(...waits))} (now: basewatch config set minimumAge 0)`;
  else next = 'nothing';
  return { line: parts.join(' · '), next };
}
