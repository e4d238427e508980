/**
 * Engine events and the daemon's own work. A rebase or rebuild pulls a base and tags images,
 * and the engine reports that like anyone's work; a cycle for those events would find nothing
 * to do at best, and must never act again in a loop. So events that arrive while a cycle works
 * are held until its result says what it did, and only the others go on (to the debouncer and a
 * cycle). Once the work is done and the cycle only tells the user (a slow webhook can take
 * seconds), an event is judged at once: someone else's starts the next cycle right after this
 * one, instead of waiting, held, for whatever triggers the one after.
 */
import type { EngineEvent } from '../engine/engine-events.js';
import type { CycleResult } from '../record/cycle-result.js';
import { normalizeImageRef } from '../refs/image-ref.js';
import type { RunningCycle } from './cycle-queue.js';
import type { Logger } from '../util/logger.js';

/** Pure: did a cycle's own work (tags moved, a base pulled) cause this engine event? */
export function causedByCycle(event: EngineEvent, result: CycleResult): boolean {
  // Only work that changed the engine causes events; a dry run or a report changes nothing.
  if (result.dryRun) return false;
  const name = event.name === null ? null : (normalizeImageRef(event.name) ?? event.name);
  const repository = (ref: string): string => ref.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  return result.actions.some((action) => {
    if (action.kind !== 'rebased' && action.kind !== 'rebuilt' && action.kind !== 'pinned') return false;
    if (action.newImageId !== null && (event.id === action.newImageId || event.id === action.oldImageId)) return true;
    if (name === null) return false;
    if (name === (normalizeImageRef(action.target) ?? action.target)) return true;
    const base = action.baseRef === null ? null : repository(normalizeImageRef(action.baseRef) ?? action.baseRef);
    return base !== null && repository(name) === base;
  });
}

export interface EngineEventGateOptions {
  /** The queue's running cycle (CycleQueue.running). */
  readonly running: () => RunningCycle | null;
  /** Where the events that are not the daemon's own go: the debouncer in front of the queue. */
  readonly forward: (image: string) => void;
  readonly logger: Logger;
}

export class EngineEventGate {
  readonly #options: EngineEventGateOptions;
  #held: Array<{ readonly image: string; readonly event: EngineEvent }> = [];

  constructor(options: EngineEventGateOptions) {
    this.#options = options;
  }

  /** Events waiting for the running cycle's result. */
  get held(): number {
    return this.#held.length;
  }

  /** An engine event about `image`. */
  push(image: string, event: EngineEvent): void {
    const running = this.#options.running();
    if (running === null) this.#options.forward(image);
    else if (running.result === null) this.#held.push({ image, event });
    else this.#judge(image, event, running.result);
  }

  /** The running cycle's work is done (CycleQueue onFinished): judge what was held. */
  cycleDone(result: CycleResult): void {
    for (const { image, event } of this.#release()) this.#judge(image, event, result);
  }

  /**
   * The running cycle failed (CycleQueue onFailed), mostly before acting (no engine, a check
   * that threw): nothing says what it did, so the held events go on.
   */
  cycleFailed(): void {
    for (const { image } of this.#release()) this.#options.forward(image);
  }

  #release(): Array<{ readonly image: string; readonly event: EngineEvent }> {
    const held = this.#held;
    this.#held = [];
    return held;
  }

  #judge(image: string, event: EngineEvent, result: CycleResult): void {
    if (causedByCycle(event, result)) this.#options.logger.debug('engine event from our own cycle ignored', { action: event.action, name: event.name });
    else this.#options.forward(image);
  }
}
