/** One rebuild's state as its steps hand it on: the outcome so far and the warnings. */
import { actFailureReason } from '../act-failure.js';
import type { BuildSpec } from './build-source.js';
import type { RebuildDeps, RebuildOutcome, RebuildStatus } from './rebuild-types.js';

/** A rebuild's expected failure: thrown by a step, returned by rebuildImage as a `failed` outcome. */
export class RebuildFailure extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
  }
}

export type RebuildSoFar = Omit<RebuildOutcome, 'status' | 'seconds' | 'reasons' | 'warnings'>;

export class RebuildRun {
  readonly warnings: string[] = [];
  /** Step 0 progress: reading, pulling, sending the context. */
  readonly progress: (text: string) => void;
  #outcome: RebuildSoFar;
  readonly #started = Date.now();

  constructor(spec: BuildSpec, onProgress: RebuildDeps['onProgress']) {
    this.progress = (text) => onProgress?.({ step: 0, total: 0, text });
    this.#outcome = {
      image: spec.image ?? spec.tags[0] ?? spec.dockerfile,
      tags: [],
      oldImageId: null,
      newImageId: null,
      baseRef: null,
      baseDigest: null,
      logTail: [],
      keepTag: null,
    };
  }

  get outcome(): RebuildSoFar {
    return this.#outcome;
  }

  /** Adds to the outcome (later fields win). */
  record(fields: Partial<RebuildSoFar>): void {
    this.#outcome = { ...this.#outcome, ...fields };
  }

  finish(status: RebuildStatus, reasons: string[] = []): RebuildOutcome {
    return { status, ...this.#outcome, reasons, warnings: this.warnings, seconds: (Date.now() - this.#started) / 1000 };
  }

  /** The outcome of a step's error: an expected failure; anything else is thrown on (act-failure.ts). */
  outcomeOf(error: unknown): RebuildOutcome {
    if (error instanceof RebuildFailure) return this.finish('failed', error.reasons);
    const reason = actFailureReason(error);
    if (reason === null) throw error;
    return this.finish('failed', [reason]);
  }
}
