/**
 * One rebase's state as its steps hand it on: the outcome so far, the warnings, the spool folder,
 * and the engine work started ahead of need, which the rebase waits for before it ends, however
 * it ends.
 */
import fs from 'node:fs/promises';
import { actFailureReason } from '../act-failure.js';
import type { RebaseOutcome, RebaseStatus } from './rebase-types.js';

/** A way out of a rebase that is an outcome of its own: thrown by a step, returned by rebaseImage. */
export class Refusal extends Error {
  constructor(
    readonly status: 'refused' | 'failed' | 'current',
    readonly reasons: string[],
  ) {
    super(reasons.join('; '));
  }
}

/** The outcome so far: the image and its tags are known from the start (the request's, until the image is read). */
export type RebaseSoFar = Partial<RebaseOutcome> & { readonly image: string; readonly tags: readonly string[] };

export class RebaseRun {
  readonly warnings: string[] = [];
  /** Cancels the export started before the old base was read, when its result is not needed. */
  readonly exportCancel = new AbortController();
  readonly progress: (step: string) => void;
  spoolDir: string | null = null;
  #outcome: RebaseSoFar;
  readonly #started = Date.now();
  readonly #pending: Array<Promise<unknown>> = [];

  constructor(image: string, onProgress: ((step: string) => void) | undefined) {
    this.#outcome = { image, tags: [] };
    this.progress = onProgress ?? (() => {});
  }

  get outcome(): RebaseSoFar {
    return this.#outcome;
  }

  /** Adds to the outcome (later fields win). */
  record(fields: Partial<RebaseOutcome>): void {
    this.#outcome = { ...this.#outcome, ...fields };
  }

  /** Starts `work` now, to be awaited later; until then a rejection is not unhandled. */
  ahead<T>(work: Promise<T>): Promise<T> {
    this.#pending.push(work.catch(() => undefined));
    return work;
  }

  finish(status: RebaseStatus, reasons: string[] = []): RebaseOutcome {
    const { image, tags, ...recorded } = this.#outcome;
    return {
      status,
      image,
      tags,
      oldImageId: null,
      newImageId: null,
      oldBase: null,
      newBase: null,
      layersReused: 0,
      baseLayersSkipped: 0,
      bytesMoved: 0,
      fastPath: null,
      packages: null,
      keepTag: null,
      ...recorded,
      reasons,
      warnings: this.warnings,
      seconds: (Date.now() - this.#started) / 1000,
    };
  }

  /** The outcome of a step's error: a refusal or an expected failure; anything else is thrown on (act-failure.ts). */
  outcomeOf(error: unknown): RebaseOutcome {
    if (error instanceof Refusal) return this.finish(error.status, error.reasons);
    const reason = actFailureReason(error);
    if (reason === null) throw error;
    return this.finish('failed', [reason]);
  }

  /**
   * Work still under way must not outlive the rebase (the files read's container, above all); an
   * export whose result was not needed stops now. Then the spool folder goes.
   */
  async end(): Promise<void> {
    this.exportCancel.abort();
    await Promise.all(this.#pending);
    if (this.spoolDir !== null) await fs.rm(this.spoolDir, { recursive: true, force: true });
  }
}

/** The outcome of a rebase that could not start (no link to act on): what a run ending at once says. */
export function unstartedRebase(image: string, reasons: string[]): RebaseOutcome {
  return new RebaseRun(image, undefined).finish('failed', reasons);
}
