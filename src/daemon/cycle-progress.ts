/**
 * How far a daemon cycle has come, for a CLI request that waits on it ("queued behind a cycle of
 * 412 images, 38%") and for `status`. Pure: built from the pipeline's progress messages, the one
 * progress channel the check and act steps have (the CLI's progress line shows the same ones).
 */

export type CyclePhase = 'starting' | 'images' | 'registries' | 'acting';

export interface CycleProgress {
  readonly phase: CyclePhase;
  /** Local images the cycle reads (known once it counts them). */
  readonly images: number | null;
  /** Done of total in the current phase, when it counts. */
  readonly done: number | null;
  readonly total: number | null;
  /** The last progress message, as the CLI's own progress line would show it. */
  readonly step: string;
}

export const CYCLE_STARTING: CycleProgress = { phase: 'starting', images: null, done: null, total: null, step: 'starting' };

// The counted messages of run-check (reading images k/N, asking registries k/N). A message that
// names an image ("app:1: rebase …") comes from the act step.
const COUNTED = /^(reading images|asking registries) (\d+)\/(\d+)$/;
const ACTING = /^\S+: /;

/** Pure: the progress after one more message of the cycle. */
export function followProgress(previous: CycleProgress, message: string): CycleProgress {
  const counted = COUNTED.exec(message);
  if (counted !== null) {
    const done = Number(counted[2]);
    const total = Number(counted[3]);
    if (counted[1] === 'reading images') return { phase: 'images', images: total, done, total, step: message };
    return { phase: 'registries', images: previous.images, done, total, step: message };
  }
  if (message === 'asking registries') return { phase: 'registries', images: previous.images, done: null, total: null, step: message };
  // Pin updates ("Dockerfile: updating digest pins") and each action's steps.
  if ((previous.phase === 'registries' || previous.phase === 'acting') && ACTING.test(message)) {
    return { phase: 'acting', images: previous.images, done: null, total: null, step: message };
  }
  return { ...previous, step: message };
}

const PHASE_ORDER: readonly CyclePhase[] = ['images', 'registries', 'acting'];

/**
 * Pure: the share of the cycle done, 0–99 (100 is "finished", which a running cycle is not).
 * Reading the images, asking the registries and acting count a third each: what each costs
 * depends on caches and on what there is to do, so no finer weight would be truer.
 */
export function cyclePercent(progress: CycleProgress): number {
  const index = PHASE_ORDER.indexOf(progress.phase as (typeof PHASE_ORDER)[number]);
  if (index < 0) return 0;
  const fraction = progress.done !== null && progress.total !== null && progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  return Math.min(99, Math.floor(((index + fraction) / PHASE_ORDER.length) * 100));
}

/** Pure: "412 images, 38%" for `status`. */
export function describeCycleProgress(progress: CycleProgress): string {
  return progress.images === null ? `${cyclePercent(progress)}%` : `${progress.images} image${progress.images === 1 ? '' : 's'}, ${cyclePercent(progress)}%`;
}

/** Pure: the line a CLI request shows while the cycle ahead of it runs. */
export function describeQueuedBehind(progress: CycleProgress | null): string {
  if (progress === null) return 'queued: the daemon is about to run it';
  return progress.images === null ? `queued behind a cycle, ${cyclePercent(progress)}%` : `queued behind a cycle of ${describeCycleProgress(progress)}`;
}
