/**
 * The one module that imports node-cron. Schedules are 5-field cron expressions (optionally
 * 6 with seconds), in the machine's local time zone.
 */
import cron from 'node-cron';

export function isValidCron(expression: string): boolean {
  return cron.validate(expression);
}

export interface CronJob {
  stop(): void;
  /** When it runs next, or null when it will not. */
  nextRun(): Date | null;
}

/** Calls `run` at each matching time; a run still going when the next is due is not overlapped. */
export function scheduleCron(expression: string, run: () => Promise<void>): CronJob {
  const task = cron.schedule(expression, run, { noOverlap: true });
  return { stop: () => void task.stop(), nextRun: () => task.getNextRun() };
}
