/**
 * Calls with the same key share one promise, so concurrent callers do not repeat the work:
 * 200 images on the same base cost one manifest HEAD, one tag listing, one lookup.
 */

export interface SingleFlightOptions {
  /**
   * What becomes of a call once it settles. `forget` (the default): the next call with its key
   * runs the task again, so only calls that overlap share it, and a failure is not kept.
   * `remember`: every later call gets the same settled promise, a rejection included, for as
   * long as this object lives (a memo for one check or one cycle).
   */
  readonly settled?: 'forget' | 'remember';
}

/** `T` bounds what the tasks return: one type for a memo, `unknown` for mixed requests. */
export class SingleFlight<T = unknown> {
  readonly #promises = new Map<string, Promise<T>>();
  readonly #remember: boolean;

  constructor(options: SingleFlightOptions = {}) {
    this.#remember = options.settled === 'remember';
  }

  /** The promise of the call under `key` when there is one, else `task()`'s (shared from now on). */
  run<R extends T>(key: string, task: () => Promise<R>): Promise<R> {
    const shared = this.#promises.get(key);
    if (shared !== undefined) return shared as Promise<R>;
    const promise = this.#remember ? task() : task().finally(() => this.#promises.delete(key));
    this.#promises.set(key, promise);
    return promise;
  }
}
