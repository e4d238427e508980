/**
 * Follows the engine: connects the way the CLI does, listens to its image events, and when the
 * engine goes away (restart, Docker Desktop quit) waits and reconnects with a growing delay,
 * saying so in `status`. After a reconnect a full cycle runs: events missed while it was gone
 * are not replayed.
 */
import type { ConnectOptions } from '../engine/connect.js';
import { EngineUnreachableError, connectEngine } from '../engine/connect.js';
import type { EngineClient } from '../engine/docker-engine.js';
import type { EngineEvent, EngineEventStream } from '../engine/engine-events.js';
import type { DaemonEngineState } from './control-protocol.js';
import type { Logger } from '../util/logger.js';

/** Pure: the wait before reconnect attempt `attempt` (0-based): 1 s, 2 s, 4 s … up to `maxMs`. */
export function reconnectDelayMs(attempt: number, maxMs = 30_000): number {
  return Math.min(maxMs, 1000 * 2 ** Math.min(attempt, 20));
}

/**
 * Pure: why the engine is unavailable, in the one line `status` shows. An unreachable engine's
 * message starts with a bare "Cannot reach a Docker engine." and names the sockets tried and
 * what failed on the lines after it: those are what tell a user something, so they go first.
 */
export function describeEngineProblem(error: unknown): string {
  if (error instanceof EngineUnreachableError && error.attempts.length + error.problems.length > 0) {
    return [...error.attempts.map((attempt) => `cannot reach ${attempt.host} (${attempt.source}): ${attempt.reason}`), ...error.problems].join('; ');
  }
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Pure: which events are worth a cycle, and for which image. Our own rollback tags are not. */
export function imageForEvent(event: EngineEvent): string | null {
  if (event.action === 'delete' || event.action === 'untag' || event.action === 'push') return null;
  const name = event.name ?? (event.action === 'pull' ? event.id : null);
  if (name !== null && name.startsWith('basewatch-')) return null;
  return name ?? event.id;
}

export interface EngineSnapshot {
  readonly state: DaemonEngineState;
  readonly host: string | null;
  readonly source: string | null;
  readonly since: string;
  readonly problem: string | null;
  readonly nextAttemptAt: string | null;
}

export interface EngineWatcherOptions {
  readonly logger: Logger;
  readonly connect?: ConnectOptions;
  /** An image was built, tagged, pulled or loaded. */
  readonly onImage: (image: string, event: EngineEvent) => void;
  /** Any image event, the ones not worth a cycle too (untag, delete): the image list changed. */
  readonly onAnyImageEvent?: (event: EngineEvent) => void;
  /** Events are followed (true) or not (false: connecting, the stream dropped). */
  readonly onFollowing?: (following: boolean) => void;
  /** The engine answered again after being gone. */
  readonly onReconnected: () => void;
  readonly maxDelayMs?: number;
  readonly connectEngine?: (options?: ConnectOptions) => Promise<EngineClient>;
}

export class EngineWatcher {
  readonly #options: EngineWatcherOptions;
  #running = false;
  #stream: EngineEventStream | null = null;
  #timer: NodeJS.Timeout | null = null;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #snapshot: EngineSnapshot = { state: 'connecting', host: null, source: null, since: new Date().toISOString(), problem: null, nextAttemptAt: null };

  constructor(options: EngineWatcherOptions) {
    this.#options = options;
  }

  snapshot(): EngineSnapshot {
    return this.#snapshot;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run().catch((error: unknown) => this.#options.logger.error('engine watcher stopped on a bug', { error }));
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#stream?.close();
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
  }

  #set(next: Partial<EngineSnapshot>): void {
    const changed = next.state !== undefined && next.state !== this.#snapshot.state;
    this.#snapshot = { ...this.#snapshot, ...next, ...(changed ? { since: new Date().toISOString() } : {}) };
  }

  async #run(): Promise<void> {
    const { logger } = this.#options;
    let failures = 0;
    let everConnected = false;
    while (this.#running) {
      let problem: string;
      try {
        const engine = await (this.#options.connectEngine ?? connectEngine)(this.#options.connect);
        const stream = await engine.events((event) => this.#event(event));
        if (!this.#running) {
          stream.close();
          break;
        }
        this.#stream = stream;
        this.#safely(() => this.#options.onFollowing?.(true));
        this.#set({ state: 'connected', host: engine.endpoint.host, source: engine.endpoint.source, problem: null, nextAttemptAt: null });
        logger.info(everConnected ? 'engine is back: listening to image events again' : 'listening to engine image events', { host: engine.endpoint.host, source: engine.endpoint.source });
        if (everConnected) this.#safely(() => this.#options.onReconnected());
        everConnected = true;
        failures = 0;
        problem = await stream.closed;
        this.#stream = null;
        this.#safely(() => this.#options.onFollowing?.(false));
        if (!this.#running) break;
      } catch (error) {
        problem = describeEngineProblem(error);
      }
      const delay = reconnectDelayMs(failures, this.#options.maxDelayMs);
      failures += 1;
      if (failures === 1 || failures % 10 === 0) logger.warn('engine unavailable: will reconnect', { problem, retryInMs: delay, attempt: failures });
      this.#set({ state: everConnected ? 'reconnecting' : 'connecting', problem, nextAttemptAt: new Date(Date.now() + delay).toISOString() });
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, delay);
      });
      this.#wake = null;
      this.#timer = null;
    }
  }

  #event(event: EngineEvent): void {
    const image = imageForEvent(event);
    this.#safely(() => this.#options.onAnyImageEvent?.(event));
    this.#options.logger.debug('engine event', { action: event.action, id: event.id, name: event.name });
    if (image !== null) this.#safely(() => this.#options.onImage(image, event));
  }

  #safely(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#options.logger.error('engine event listener failed', { error });
    }
  }
}
