/**
 * One cycle of the pipeline (check → plan → act → record), as the daemon and `basewatch update`
 * run it, and what it reports to whoever triggered it (notifications, the CLI).
 */
import type { CheckReport } from '../report/check-report.js';
import type { PlanEntry } from '../plan/plan-actions.js';

export type CycleTriggerKind = 'startup' | 'schedule' | 'catch-up' | 'files' | 'engine' | 'cli';

export interface CycleTrigger {
  readonly kind: CycleTriggerKind;
  /** What fired it: file paths, an image name, "wake from sleep"… */
  readonly detail?: string;
}

export type ActionKind = 'rebased' | 'rebuilt' | 'pinned' | 'skipped' | 'failed' | 'reported';

export interface ActionOutcome {
  /** The image (first tag) or, for a pin, the Dockerfile path. */
  readonly target: string;
  readonly kind: ActionKind;
  /** Why it was skipped or failed, or what was done. */
  readonly reason: string;
  readonly baseRef: string | null;
  /** Upstream digest acted on (or reported). */
  readonly digest: string | null;
  readonly oldImageId: string | null;
  readonly newImageId: string | null;
  /** "openssl 3.0.15-1 → 3.0.16-1; 2 more", when known. */
  readonly packages: string | null;
  /** Containers still running the previous image ("name (id)"), to restart by hand. */
  readonly containersOnOldImage: readonly string[];
  /**
   * What the rebase or rebuild said beside its result, e.g. that the Dockerfile now builds on
   * another base than the plan approved; empty when there is nothing to say.
   */
  readonly warnings: readonly string[];
}

export interface CycleResult {
  readonly trigger: CycleTrigger;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly report: CheckReport;
  readonly actions: readonly ActionOutcome[];
  /** What was planned for each image (with --dry-run: what would run). */
  readonly plan: readonly PlanEntry[];
  readonly dryRun: boolean;
  /** Said beside the actions, e.g. that a tag move an earlier run left half done was finished first. */
  readonly warnings?: readonly string[];
}
