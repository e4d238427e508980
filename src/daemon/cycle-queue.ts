/**
 * One cycle at a time. A request that arrives while a cycle runs joins the one follow-up cycle
 * waiting behind it (coalescing), so a burst of file saves, engine events and a scheduled run
 * cost one extra cycle, not one each. Every caller gets the result of the cycle that covered
 * its request, as the answer to its own request: a `check --now` folded into a cycle an engine
 * event started is still answered as the CLI's (trigger `cli`), not as the engine's.
 */
import type { CycleResult, CycleTrigger } from '../record/cycle-result.js';
import type { Logger } from '../util/logger.js';
import { CYCLE_STARTING, type CycleProgress, followProgress } from './cycle-progress.js';

export interface CycleRequest {
  readonly trigger: CycleTrigger;
  /** Images to check and act on; empty means all of them. */
  readonly images: readonly string[];
  /** With `images`: also the images built on them (a pulled or re-tagged base is news for those). Default false. */
  readonly withDependents?: boolean;
  readonly dryRun: boolean;
}

/**
 * Pure: the request that covers both. All images win over a list; a list asked with its
 * dependents keeps them (the other list gets them too: more checked, nothing missed); the trigger
 * is the first one's kind (what started the wait), with every detail kept so the log says what
 * was folded in.
 */
export function mergeRequests(first: CycleRequest, second: CycleRequest): CycleRequest {
  const images = first.images.length === 0 || second.images.length === 0 ? [] : [...new Set([...first.images, ...second.images])];
  const details = [first.trigger.detail, second.trigger.kind === first.trigger.kind ? second.trigger.detail : describeTrigger(second.trigger)]
    .filter((detail): detail is string => detail !== undefined && detail !== '');
  const detail = [...new Set(details.flatMap((text) => text.split('; ')))].join('; ');
  const withDependents = images.length > 0 && (first.withDependents === true || second.withDependents === true);
  return {
    trigger: detail === '' ? { kind: first.trigger.kind } : { kind: first.trigger.kind, detail },
    images,
    ...(withDependents ? { withDependents } : {}),
    dryRun: first.dryRun,
  };
}

/**
 * Pure: the covering cycle's result as the answer to one of the requests folded into it. The
 * report is the whole cycle's (the CLI trims it to the images it asked about); the trigger is the
 * request's own, so whoever asked sees its request answered, whatever started the cycle.
 */
export function answerFor(result: CycleResult, request: CycleRequest): CycleResult {
  const own = request.trigger;
  if (result.trigger.kind === own.kind && result.trigger.detail === own.detail) return result;
  return { ...result, trigger: own };
}

export function describeTrigger(trigger: CycleTrigger): string {
  return trigger.detail === undefined || trigger.detail === '' ? trigger.kind : `${trigger.kind}: ${trigger.detail}`;
}

export class CycleQueueStoppedError extends Error {
  override readonly name = 'CycleQueueStoppedError';
}

interface Pending {
  request: CycleRequest;
  /** Called when the job's cycle starts. */
  readonly onStart: Array<() => void>;
  readonly waiters: Array<{ readonly request: CycleRequest; resolve: (result: CycleResult) => void; reject: (error: unknown) => void }>;
}

/** Where a submitted request is: waiting behind the running cycle (null: none runs yet), or running. */
export type RequestPosition =
  | { readonly state: 'queued'; readonly behind: CycleProgress | null }
  | { readonly state: 'running'; readonly progress: CycleProgress };

export interface WatchedRequest {
  readonly result: Promise<CycleResult>;
  /** Where the request is now; once it is answered, the last position it had. */
  position(): RequestPosition;
  /** Resolves when the cycle that covers the request starts (never, when it is rejected before). */
  readonly started: Promise<void>;
}

export interface RunningCycle {
  readonly request: CycleRequest;
  readonly startedAt: Date;
  /**
   * Null while the cycle works. Its result once the work is done and only onFinished runs
   * (notifications, which can take seconds): from then on the cycle changes nothing in the engine.
   */
  readonly result: CycleResult | null;
  /** How far the cycle has come (its progress messages so far). */
  readonly progress: CycleProgress;
}

export interface CycleQueueOptions {
  /** Runs one cycle; `onProgress` takes its progress messages (run-check's and the act step's). */
  readonly run: (request: CycleRequest, onProgress: (message: string) => void) => Promise<CycleResult>;
  readonly logger: Logger;
  /** Told after every cycle (notifications, status); its failures are logged, never thrown. */
  readonly onFinished?: (result: CycleResult) => Promise<void> | void;
  /** Told when a cycle fails, before the next one starts; its failures are logged, never thrown. */
  readonly onFailed?: (error: unknown) => void;
  readonly now?: () => Date;
}

export class CycleQueue {
  readonly #options: CycleQueueOptions;
  /** Dry runs never fold into real cycles (or the other way): at most one of each waits. */
  readonly #pending = new Map<boolean, Pending>();
  #running: { cycle: RunningCycle; done: Promise<void>; job: Pending } | null = null;
  #accepting = true;
  #completed = 0;

  constructor(options: CycleQueueOptions) {
    this.#options = options;
  }

  get running(): RunningCycle | null {
    return this.#running?.cycle ?? null;
  }

  /** Requests waiting behind the running cycle (after coalescing). */
  get pending(): number {
    return this.#pending.size;
  }

  get completed(): number {
    return this.#completed;
  }

  /** Resolves with the result of the cycle that covered this request. */
  submit(request: CycleRequest): Promise<CycleResult> {
    return this.watch(request).result;
  }

  /** Like submit, and tells where the request is while it waits (for a CLI's progress line). */
  watch(request: CycleRequest): WatchedRequest {
    if (!this.#accepting) {
      return { result: Promise.reject(new CycleQueueStoppedError('the daemon is stopping')), position: () => ({ state: 'queued', behind: null }), started: new Promise<void>(() => {}) };
    }
    let job: Pending | undefined;
    let last: RequestPosition = { state: 'queued', behind: null };
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const result = new Promise<CycleResult>((resolve, reject) => {
      const waiting = this.#pending.get(request.dryRun);
      if (waiting === undefined) {
        job = { request, onStart: [markStarted], waiters: [{ request, resolve, reject }] };
        this.#pending.set(request.dryRun, job);
      } else {
        job = waiting;
        waiting.onStart.push(markStarted);
        waiting.request = mergeRequests(waiting.request, request);
        waiting.waiters.push({ request, resolve, reject });
        this.#options.logger.debug('cycle request coalesced', { trigger: describeTrigger(request.trigger) });
      }
      this.#next();
    });
    const position = (): RequestPosition => {
      const running = this.#running;
      if (running !== null && running.job === job) last = { state: 'running', progress: running.cycle.progress };
      else if ([...this.#pending.values()].includes(job as Pending)) last = { state: 'queued', behind: running?.cycle.progress ?? null };
      return last;
    };
    return { result, position, started };
  }

  /** Like submit, for triggers nobody waits on: a failure is already logged. */
  enqueue(request: CycleRequest): void {
    this.submit(request).catch(() => undefined);
  }

  #next(): void {
    if (this.#running !== null) return;
    const dryRun = this.#pending.has(false) ? false : this.#pending.has(true) ? true : null;
    if (dryRun === null) return;
    const job = this.#pending.get(dryRun)!;
    this.#pending.delete(dryRun);
    const running: { cycle: RunningCycle; done: Promise<void>; job: Pending } = {
      cycle: { request: job.request, startedAt: (this.#options.now ?? (() => new Date()))(), result: null, progress: CYCLE_STARTING },
      done: Promise.resolve(),
      job,
    };
    this.#running = running;
    for (const start of job.onStart) start();
    running.done = this.#execute(job, running).finally(() => {
      this.#running = null;
      this.#next();
    });
  }

  async #execute(job: Pending, running: { cycle: RunningCycle }): Promise<void> {
    const { logger } = this.#options;
    const started = Date.now();
    logger.info('cycle started', { trigger: describeTrigger(job.request.trigger), images: job.request.images, dryRun: job.request.dryRun });
    let result: CycleResult;
    try {
      result = await this.#options.run(job.request, (message) => {
        running.cycle = { ...running.cycle, progress: followProgress(running.cycle.progress, message) };
      });
    } catch (error) {
      logger.error('cycle failed', { trigger: job.request.trigger.kind, error });
      for (const waiter of job.waiters) waiter.reject(error);
      try {
        this.#options.onFailed?.(error);
      } catch (listenerError) {
        logger.error('after-cycle listener failed', { error: listenerError });
      }
      return;
    }
    running.cycle = { ...running.cycle, result };
    this.#completed += 1;
    logger.info('cycle finished', {
      // With its details: what was folded in (an engine event behind a file save) is in the log.
      trigger: describeTrigger(job.request.trigger),
      ms: Date.now() - started,
      images: result.report.images.length,
      outdated: result.report.images.filter((image) => image.status === 'outdated').length,
      actions: result.actions.map((action) => `${action.kind} ${action.target}`),
    });
    for (const waiter of job.waiters) waiter.resolve(answerFor(result, waiter.request));
    try {
      await this.#options.onFinished?.(result);
    } catch (error) {
      logger.error('after-cycle listener failed', { error });
    }
  }

  /**
   * Stops accepting; waiting requests are rejected. Resolves when the running cycle finished, or
   * after `graceMs` (true when it finished): a cycle left running is abandoned with the process,
   * and the tag-move journal finishes any half-moved tags on the next start.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.#accepting = false;
    for (const job of this.#pending.values()) {
      for (const waiter of job.waiters) waiter.reject(new CycleQueueStoppedError('the daemon is stopping'));
    }
    this.#pending.clear();
    const running = this.#running;
    if (running === null) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    try {
      return await Promise.race([running.done.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
