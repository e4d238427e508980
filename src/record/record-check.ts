/**
 * Records an online check in the state file: the report `basewatch status` shows, when each
 * upstream digest was first seen (for `minimumAge`), and the registries' rate-limit budgets.
 * Offline checks are not recorded: they know nothing of upstream and would hide what the last
 * online check learned.
 */
import { CheckReport } from '../report/check-report.js';
import type { UpstreamObservation } from '../resolve/check-upstream.js';
import { upstreamKey } from '../resolve/upstream-seen.js';
import { type LoadedState, type State, updateState } from './state-store.js';
import type { ActionOutcome } from './cycle-result.js';
import { compareText } from '../util/compare-text.js';

/** What a check hands the record step: its report and the upstream tags it resolved. */
export interface CheckToRecord {
  readonly report: CheckReport;
  readonly observations: readonly UpstreamObservation[];
  /**
   * True when the check looked at some images only (named ones, an engine event's): the saved
   * report stays the last full picture, with these images' entries replaced in place.
   */
  readonly partial?: boolean;
  /**
   * With `partial`: the check looked at every image these files build (an edit): a saved entry
   * built from one of them that the check did not report again is gone (removed, or built from
   * nothing now) and is dropped.
   */
  readonly replacedFiles?: readonly string[];
}

/** Pure: the saved report with a partial check's images put in place of their older entries. */
export function mergePartialReport(saved: CheckReport, partial: CheckReport, replacedFiles: readonly string[] = []): CheckReport {
  const files = new Set(replacedFiles);
  const ids = new Set(partial.images.map((image) => image.id));
  const tags = new Set(partial.images.flatMap((image) => image.tags));
  const ignored = new Set((partial.ignored ?? []).filter((entry) => entry.kind === 'image').map((entry) => entry.name));
  // An older entry under a tag the partial check saw again (a rebased image has a new id) is replaced.
  const kept = saved.images.filter((image) => !ids.has(image.id) && !image.tags.some((tag) => tags.has(tag) || ignored.has(tag)) && !(files.size > 0 && savedBuiltFrom(image, files)));
  return { ...partial, images: [...kept, ...partial.images].sort((a, b) => compareText(a.name, b.name)) };
}

/** Pure: does this saved entry come from one of `files` (its build, its compose service, its suggested Dockerfile)? */
export function savedBuiltFrom(image: CheckReport['images'][number], files: ReadonlySet<string>): boolean {
  const source = image.source;
  return (source?.dockerfile != null && files.has(source.dockerfile))
    || (source?.compose != null && files.has(source.compose))
    || (image.suggestedLink !== undefined && files.has(image.suggestedLink.dockerfile));
}

export function mergeCheckIntoState(state: State, result: CheckToRecord, at: Date, durationMs: number): State {
  const upstream = { ...state.upstream };
  for (const seen of result.observations) {
    const key = upstreamKey(seen.ref, seen.platform);
    const previous = upstream[key];
    // "First seen" is about this platform's image: another platform's republish (a new index
    // digest over the same platform manifest) must not restart the minimumAge clock.
    const samePlatformImage =
      previous?.platformDigest != null && seen.platformDigest !== null ? previous.platformDigest === seen.platformDigest : previous?.digest === seen.digest;
    const sameDigest = previous !== undefined && samePlatformImage;
    upstream[key] = {
      ...seen,
      platformDigest: seen.platformDigest ?? (sameDigest ? previous.platformDigest : null),
      configDigest: seen.configDigest ?? (sameDigest ? previous.configDigest : null),
      firstSeenAt: sameDigest ? previous.firstSeenAt : seen.checkedAt,
    };
  }
  const registries = { ...state.registries };
  for (const seen of result.report.registries) registries[seen.registry] = { ...seen };
  return {
    ...state,
    // Through the schema: what is stored is exactly what `status` will be able to read back.
    lastCheck: {
      at: at.toISOString(),
      durationMs,
      report: CheckReport.parse(result.partial === true && state.lastCheck !== null ? mergePartialReport(state.lastCheck.report, result.report, result.replacedFiles) : result.report),
    },
    upstream,
    registries,
  };
}

/** The state as recorded (the plan reads it: no second read), and a warning when the file had to be set aside. */
export async function recordCheck(stateFile: string, result: CheckToRecord, at: Date, durationMs: number): Promise<LoadedState> {
  // Merged into the file as it is now: the daemon and a `check` run by hand may record at once.
  return updateState(stateFile, (state) => mergeCheckIntoState(state, result, at, durationMs), at);
}

/**
 * Pure: the saved report after the cycle's act step, so `status` does not list an image the
 * cycle just rebased or rebuilt as outdated below the line that says it was: each such entry
 * now names the new image and is current on the digest it was moved onto.
 */
export function withActionsApplied(report: CheckReport, actions: readonly ActionOutcome[], at: string): CheckReport {
  const done = actions.filter((action) => (action.kind === 'rebased' || action.kind === 'rebuilt') && action.newImageId !== null);
  if (done.length === 0) return report;
  const images = report.images.map((image) => {
    const action = done.find((candidate) => candidate.oldImageId === image.id || candidate.target === image.name);
    if (action === undefined || action.newImageId === null) return image;
    const onto = action.baseRef === null ? 'its base' : `${action.baseRef}${action.digest === null ? '' : `@${action.digest.slice(0, 19)}`}`;
    return {
      ...image,
      id: action.newImageId,
      status: 'current' as const,
      reason: `${action.kind} onto ${onto} at ${at}`,
      base: image.base === null ? null : { ...image.base, digest: action.digest ?? image.base.digest },
    };
  });
  return { ...report, images };
}

/** Records what the act step changed in the saved report (see withActionsApplied). */
export async function recordActions(stateFile: string, actions: readonly ActionOutcome[], at: Date): Promise<void> {
  if (!actions.some((action) => action.kind === 'rebased' || action.kind === 'rebuilt')) return;
  await updateState(
    stateFile,
    (state) => (state.lastCheck === null ? state : { ...state, lastCheck: { ...state.lastCheck, report: CheckReport.parse(withActionsApplied(state.lastCheck.report, actions, at.toISOString())) } }),
    at,
  );
}
