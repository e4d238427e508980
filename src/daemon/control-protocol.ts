/**
 * What the daemon's control socket speaks: the status it reports and the requests it takes,
 * as zod schemas, so the CLI parses the daemon's answers at the edge like any other input.
 */
import path from 'node:path';
import { z } from 'zod';
import { POLICIES } from '../config/settings.js';
import type { BasewatchPaths } from '../config/paths.js';
import type { CycleResult } from '../record/cycle-result.js';
import { CheckReport } from '../report/check-report.js';

export { CONTROL_SOCKET_NAME, controlSocketPath } from './control-socket-path.js';
export const PID_FILE_NAME = 'daemon.pid';

export function pidFilePath(paths: Pick<BasewatchPaths, 'runtime'>): string {
  return path.join(paths.runtime, PID_FILE_NAME);
}

const TriggerSchema = z.object({
  kind: z.enum(['startup', 'schedule', 'catch-up', 'files', 'engine', 'cli']),
  detail: z.string().optional(),
});

export const ActionOutcomeSchema = z.object({
  target: z.string(),
  kind: z.enum(['rebased', 'rebuilt', 'pinned', 'skipped', 'failed', 'reported']),
  reason: z.string(),
  baseRef: z.string().nullable(),
  digest: z.string().nullable(),
  oldImageId: z.string().nullable(),
  newImageId: z.string().nullable(),
  packages: z.string().nullable(),
  containersOnOldImage: z.array(z.string()),
  warnings: z.array(z.string()),
});

const PlannedActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rebase'), otherwise: z.enum(['rebuild', 'report']) }),
  z.object({ kind: z.literal('rebuild') }),
  z.object({ kind: z.literal('report') }),
  z.object({ kind: z.literal('skip') }),
]);

export const PlanEntrySchema = z.object({
  image: z.string(),
  imageId: z.string(),
  baseRef: z.string().nullable(),
  digest: z.string().nullable(),
  policy: z.enum(POLICIES),
  action: PlannedActionSchema,
  why: z.string(),
});

export const CycleResultSchema = z.object({
  trigger: TriggerSchema,
  startedAt: z.string(),
  finishedAt: z.string(),
  report: CheckReport,
  actions: z.array(ActionOutcomeSchema),
  plan: z.array(PlanEntrySchema),
  dryRun: z.boolean(),
  // Without it, what a cycle said beside its actions (a tag move a killed run left, finished
  // first) was dropped on its way to `update` and `check --now` through the daemon.
  warnings: z.array(z.string()).optional(),
});

// Keep the schema and the pipeline's interface in step.
type ParsedCycle = z.infer<typeof CycleResultSchema>;
export const asCycleResult = (value: ParsedCycle): CycleResult => value;

export const CycleRequestBodySchema = z
  .object({
    images: z.array(z.string().min(1)).default([]),
    dryRun: z.boolean().default(false),
    /** Shown in the log and in `status` as the trigger's detail, e.g. "basewatch update". */
    reason: z.string().max(200).optional(),
  })
  .strict();
export type CycleRequestBody = z.input<typeof CycleRequestBodySchema>;

export const CycleProgressSchema = z.object({
  phase: z.enum(['starting', 'images', 'registries', 'acting']),
  images: z.number().nullable(),
  done: z.number().nullable(),
  total: z.number().nullable(),
  step: z.string(),
});

export const RequestPositionSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('queued'), behind: CycleProgressSchema.nullable() }),
  z.object({ state: z.literal('running'), progress: CycleProgressSchema }),
]);
export type RequestPositionMessage = z.infer<typeof RequestPositionSchema>;

/**
 * POST /cycle with `accept: application/x-ndjson` (a daemon of before it answers plain JSON, which
 * the client still reads): one JSON object a line, `{position}` whenever where the request is
 * changes, then `{result}`, or `{error, status}` with the HTTP status a plain answer would have had.
 */
export const CYCLE_STREAM_TYPE = 'application/x-ndjson';
export const CycleStreamLineSchema = z.union([
  z.object({ position: RequestPositionSchema }),
  z.object({ result: z.unknown() }),
  z.object({ error: z.string(), status: z.number() }),
]);

export const EngineStateSchema = z.enum(['connecting', 'connected', 'reconnecting']);

export const DaemonStatusSchema = z.object({
  pid: z.number(),
  version: z.string(),
  startedAt: z.string(),
  uptimeSeconds: z.number(),
  socket: z.string(),
  logFile: z.string(),
  engine: z.object({
    state: EngineStateSchema,
    host: z.string().nullable(),
    source: z.string().nullable(),
    since: z.string(),
    /** Why the last connection failed or ended, while reconnecting. */
    problem: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
  }),
  schedule: z.object({
    expression: z.string(),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
  }),
  watcher: z.object({
    state: z.enum(['starting', 'watching', 'degraded', 'off']),
    roots: z.array(
      z.object({
        root: z.string(),
        dockerfiles: z.number(),
        composeFiles: z.number(),
        problem: z.string().nullable(),
      }),
    ),
    /** The OS watch limit was hit, or a root cannot be watched. */
    problem: z.string().nullable(),
  }),
  cycles: z.object({
    running: z
      .object({
        trigger: TriggerSchema,
        startedAt: z.string(),
        /** How far it has come (absent from older daemons). */
        progress: CycleProgressSchema.optional(),
      })
      .nullable(),
    pending: z.number(),
    /** File and engine events waiting out their quiet time or the running cycle's result: a cycle to come (absent from older daemons). */
    waitingEvents: z.number().optional(),
    completed: z.number(),
    last: z
      .object({
        trigger: TriggerSchema,
        startedAt: z.string(),
        finishedAt: z.string(),
        dryRun: z.boolean(),
        images: z.number(),
        outdated: z.number(),
        errors: z.number(),
        actions: z.array(z.object({ kind: z.string(), target: z.string(), reason: z.string() })),
      })
      .nullable(),
    lastError: z.string().nullable(),
  }),
  notifications: z.object({
    desktop: z.string(),
    webhook: z.string().nullable(),
  }),
});
export type DaemonStatus = z.infer<typeof DaemonStatusSchema>;
export type DaemonEngineState = z.infer<typeof EngineStateSchema>;
