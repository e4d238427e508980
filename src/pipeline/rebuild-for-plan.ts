/** Rebuilds a planned image from its Dockerfile: the update cycle's bridge to src/rebuild/. */
import type { Settings } from '../config/settings.js';
import type { EngineClient } from '../engine/docker-engine.js';
import type { BasewatchPaths } from '../paths.js';
import type { CredentialSource } from '../registry/credentials.js';
import type { CheckReport } from '../report/check-report.js';
import type { PlanEntry } from '../update/plan-actions.js';

export interface RebuildContext {
  readonly engine: EngineClient;
  readonly credentials: CredentialSource;
  readonly paths: BasewatchPaths;
  readonly settings: Settings;
  readonly roots: readonly string[];
  readonly report: CheckReport;
}

export type RebuildResult =
  | { readonly ok: true; readonly newImageId: string; readonly dockerfile: string; readonly baseDigest: string | null }
  | { readonly ok: false; readonly reason: string };

export async function rebuildForPlan(context: RebuildContext, entry: PlanEntry): Promise<RebuildResult> {
  void context;
  return { ok: false, reason: `rebuilding ${entry.image} is wired in with src/rebuild` };
}
