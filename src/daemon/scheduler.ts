/**
 * The scheduled checks: settings.schedule through src/util/cron.ts, each run delayed by a
 * little random jitter (so many machines on one cron do not hit a registry in the same second),
 * and a catch-up check when the machine wakes up: timers do not run during suspend, so a run
 * due while the lid was shut is otherwise lost until the next one.
 *
 * Waking is seen as the wall clock jumping ahead of the monotonic clock (which Linux and macOS
 * stop during suspend); a clock set forward by hand looks the same and gets the same catch-up.
 */
import { type CronJob, scheduleCron } from '../util/cron.js';
import type { CycleTrigger } from '../record/cycle-result.js';
import type { Logger } from '../util/logger.js';

/** Pure: how far the wall clock moved beyond the monotonic one between two ticks (ms), or null. */
export function clockJumpMs(
  previous: { readonly wall: number; readonly mono: number },
  current: { readonly wall: number; readonly mono: number },
  toleranceMs: number,
): number | null {
  const jump = current.wall - previous.wall - (current.mono - previous.mono);
  return jump > toleranceMs ? jump : null;
}

/** Pure: "3h 5m" style for log and trigger details. */
export function describeGap(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
}

export interface SchedulerOptions {
  readonly expression: string;
  readonly logger: Logger;
  /** A run is due (after jitter) or a catch-up is needed. */
  readonly onDue: (trigger: CycleTrigger) => void;
  /** Default 30 s. */
  readonly jitterMs?: number;
  /** How often the clocks are compared. Default 30 s. */
  readonly tickMs?: number;
  /** A jump smaller than this is ignored (NTP slews, a busy event loop). Default 2 min. */
  readonly jumpToleranceMs?: number;
  readonly random?: () => number;
  readonly wallNow?: () => number;
  readonly monoNow?: () => number;
  readonly schedule?: (expression: string, run: () => Promise<void>) => CronJob;
}

export interface ScheduleSnapshot {
  readonly expression: string;
  readonly nextRunAt: string | null;
  readonly lastRunAt: string | null;
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  #expression: string;
  #job: CronJob | null = null;
  #tick: NodeJS.Timeout | null = null;
  readonly #jitterTimers = new Set<NodeJS.Timeout>();
  #lastRunAt: Date | null = null;
  #last = { wall: 0, mono: 0 };

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#expression = options.expression;
  }

  start(): void {
    if (this.#job !== null) return;
    const schedule = this.#options.schedule ?? scheduleCron;
    this.#job = schedule(this.#expression, async () => this.#due());
    this.#last = this.#clocks();
    this.#tick = setInterval(() => this.#checkClock(), this.#options.tickMs ?? 30_000);
    this.#options.logger.info('schedule set', { schedule: this.#expression, nextRunAt: this.snapshot().nextRunAt });
  }

  stop(): void {
    this.#job?.stop();
    this.#job = null;
    if (this.#tick !== null) clearInterval(this.#tick);
    this.#tick = null;
    for (const timer of this.#jitterTimers) clearTimeout(timer);
    this.#jitterTimers.clear();
  }

  setExpression(expression: string): void {
    if (expression === this.#expression) return;
    this.#expression = expression;
    if (this.#job !== null) {
      this.stop();
      this.start();
    }
  }

  snapshot(): ScheduleSnapshot {
    // cron.ts may expose the next run (node-cron's getNextRun); without it, status says unknown.
    const next = (this.#job as (CronJob & { nextRun?: () => Date | null }) | null)?.nextRun?.() ?? null;
    return { expression: this.#expression, nextRunAt: next?.toISOString() ?? null, lastRunAt: this.#lastRunAt?.toISOString() ?? null };
  }

  #clocks(): { wall: number; mono: number } {
    return { wall: (this.#options.wallNow ?? Date.now)(), mono: (this.#options.monoNow ?? (() => performance.now()))() };
  }

  #due(): void {
    const jitter = Math.floor((this.#options.random ?? Math.random)() * (this.#options.jitterMs ?? 30_000));
    const timer = setTimeout(() => {
      this.#jitterTimers.delete(timer);
      this.#lastRunAt = new Date(this.#clocks().wall);
      this.#options.onDue({ kind: 'schedule', detail: this.#expression });
    }, jitter);
    this.#jitterTimers.add(timer);
  }

  #checkClock(): void {
    const now = this.#clocks();
    const jump = clockJumpMs(this.#last, now, this.#options.jumpToleranceMs ?? 120_000);
    this.#last = now;
    if (jump === null) return;
    this.#options.logger.info('clock jumped ahead (wake from sleep?): catch-up check', { gapMs: jump });
    this.#lastRunAt = new Date(now.wall);
    this.#options.onDue({ kind: 'catch-up', detail: `clock jumped ${describeGap(jump)} (wake from sleep)` });
  }
}
