/**
 * The act step of an update cycle: each planned action in chain order (a base before the images
 * built on it), then the pins policy `pin` moves. One image's failure is its own outcome; an
 * engine that is gone, or a bug, ends the cycle (act/act-failure).
 */
import { appendPinRecord } from '../act/tag-moves/history.js';
import type { Settings } from '../config/settings.js';
import type { BasewatchPaths } from '../config/paths.js';
import type { EngineClient } from '../engine/docker-engine.js';
import type { BuildLinksReading } from '../inventory/build-link.js';
import type { CredentialSource } from '../registry/credentials.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { RebaseOutcome } from '../act/rebase/rebase-image.js';
import type { PullCache } from '../act/rebuild/rebuild-image.js';
import { actFailureReason } from '../act/act-failure.js';
import { type PlanEntry, describePlan } from '../plan/plan-actions.js';
import type { ActionOutcome } from '../record/cycle-result.js';
import type { CheckResult } from './run-check.js';

/** What the act step works with, handed down from the cycle: nothing is connected or read again. */
export interface ActContext {
  readonly engine: EngineClient;
  readonly registry: RegistryClient;
  readonly credentials: CredentialSource;
  readonly buildLinks: BuildLinksReading;
  readonly check: Pick<CheckResult, 'links' | 'localImages' | 'report'>;
  readonly settings: Settings;
  readonly paths: BasewatchPaths;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly progress: (message: string) => void;
}

export async function actOnPlan(context: ActContext, plan: readonly PlanEntry[], pinFiles: readonly string[]): Promise<ActionOutcome[]> {
  const { engine, check, progress } = context;
  const work = plan.filter((entry) => entry.action.kind !== 'skip');
  const pulls: PullCache = new Map();
  const actions = await actInOrder(work, plan, act, progress);
  // Policy pin: move each stale pin to its tag's current digest, in the file (never in git).
  for (const file of pinFiles) {
    progress(`${file}: updating digest pins`);
    try {
      const { pinRecordOf, registryPinResolver, updatePins } = await import('../act/pin/update-pins.js');
      const result = await updatePins(file, registryPinResolver(context.registry), { onlyPinned: true });
      // `basewatch history` lists the pins a cycle moved beside its rebases and rebuilds.
      const record = pinRecordOf(result, new Date());
      if (record !== null) await appendPinRecord(context.paths.state, record);
      if (result.changes.length > 0) {
        const moved = result.changes.map((c) => `line ${c.line}: ${c.image} → ${c.to.replace(/^.*@/, '')}`).join('; ');
        // The digests make each new pin its own notification, not a repeat of last week's.
        const digests = result.changes.map((c) => c.to.replace(/^.*@/, '')).join(',');
        actions.push(pinOutcome(file, 'pinned', `updated ${result.changes.length} pin(s): ${moved}`, digests));
      }
      if (result.problems.length > 0) {
        const problems = result.problems.map((p) => (p.line > 0 ? `line ${p.line}: ${p.message}` : p.message)).join('; ');
        actions.push(pinOutcome(file, 'failed', problems, problems));
      }
    } catch (error) {
      const reason = actFailureReason(error);
      if (reason === null) throw error;
      actions.push(pinOutcome(file, 'failed', reason));
    }
  }
  return actions;

  async function act(entry: PlanEntry): Promise<ActionOutcome> {
    const action = entry.action;
    if (action.kind === 'report') return outcome(entry, 'reported', `update available (${entry.why})`);
    if (action.kind === 'rebuild') return rebuilt(entry);
    if (action.kind === 'skip') return outcome(entry, 'skipped', entry.why);
    // Rebase, rebuild and pin code is loaded when a plan first needs it: most cycles change
    // nothing, and an idle daemon should not hold the archive and build machinery.
    const { rebaseImage } = await import('../act/rebase/rebase-image.js');
    const { reasonsAdviseRebuild } = await import('../act/rebase/prepare-rebase.js');
    const link = check.links.find((candidate) => candidate.image.id === entry.imageId);
    if (link === undefined) return outcome(entry, 'failed', `the check has no link for ${entry.imageId}`);
    const rebased: RebaseOutcome = await rebaseImage(
      {
        engine,
        registry: context.registry,
        credentials: context.credentials,
        stateDir: context.paths.state,
        smokeTest: context.settings.smokeTest,
        onProgress: (step) => progress(`${entry.image}: ${step}`),
      },
      // Exactly the digest the plan saw (and minimumAge let through), not whatever the tag is now;
      // onto the link the check reported, not one of the rebase's own.
      {
        image: entry.image,
        to: entry.baseRef !== null && entry.digest !== null ? `${entry.baseRef}@${entry.digest}` : null,
        dryRun: false,
        force: false,
        linked: { link, localImages: check.localImages },
      },
    );
    if (rebased.status === 'rebased') {
      return outcome(entry, 'rebased', `rebased onto ${rebased.newBase?.ref ?? entry.baseRef}`, {
        digest: rebased.newBase?.digest ?? entry.digest,
        newImageId: rebased.newImageId,
        packages: rebased.packages?.summary ?? null,
        containersOnOldImage: await containersOn(engine, entry.imageId),
        warnings: rebased.warnings,
      });
    }
    // 'skipped': someone re-pointed every tag meanwhile; their image is no concern of this plan.
    if (rebased.status === 'current' || rebased.status === 'skipped') return outcome(entry, 'skipped', rebased.reasons.join('; '), { warnings: rebased.warnings });
    if (rebased.status === 'refused' && action.otherwise === 'rebuild') return rebuilt(entry, rebased.reasons.join('; '), rebased.warnings);
    const suggested = check.report.images.find((image) => image.id === entry.imageId)?.suggestedLink;
    // Unless the refusal already says how to rebuild (with the same suggested Dockerfile): said once.
    if (rebased.status === 'refused' && suggested !== undefined && !reasonsAdviseRebuild(entry.image, rebased.reasons)) {
      // A guess at the Dockerfile is never built from: the user confirms it with `basewatch link`.
      const why = `not rebaseable (${rebased.reasons.join('; ')}); looks built from ${suggested.shown}: run \`${suggested.command}\` and basewatch can rebuild it`;
      return outcome(entry, 'reported', why, { warnings: rebased.warnings });
    }
    const kind = rebased.status === 'refused' ? 'reported' : 'failed';
    return outcome(entry, kind, `${rebased.status === 'refused' ? 'not rebased' : 'rebase failed'}: ${rebased.reasons.join('; ')}`, { warnings: rebased.warnings });
  }

  /** `rebaseWarnings`: what the refused rebase before it said, kept beside the rebuild's own. */
  async function rebuilt(entry: PlanEntry, whyNotRebased?: string, rebaseWarnings: readonly string[] = []): Promise<ActionOutcome> {
    const { rebuildForPlan } = await import('./rebuild-for-plan.js');
    const result = await rebuildForPlan(
      { engine, credentials: context.credentials, paths: context.paths, settings: context.settings, roots: check.report.roots, env: context.env, cwd: context.cwd, buildLinks: context.buildLinks, pulls, progress: (step) => progress(`${entry.image}: ${step}`) },
      entry,
      check.report.images.find((image) => image.id === entry.imageId)?.source ?? null,
    );
    const prefix = whyNotRebased ? `not rebaseable (${whyNotRebased}); ` : '';
    if (result.ok) {
      return outcome(entry, 'rebuilt', `${prefix}rebuilt from ${result.dockerfile}`, {
        newImageId: result.newImageId,
        digest: result.baseDigest ?? entry.digest,
        containersOnOldImage: await containersOn(engine, entry.imageId),
        warnings: [...rebaseWarnings, ...result.warnings],
      });
    }
    if (result.skipped) return outcome(entry, 'skipped', `${prefix}rebuilt, but no tag moved: ${result.reason}`, { warnings: [...rebaseWarnings, ...result.warnings] });
    return outcome(entry, 'failed', `${prefix}rebuild failed: ${result.reason}`, { warnings: [...rebaseWarnings, ...result.warnings] });
  }
}

/**
 * The planned actions in chain order, each through `act` (the port the rest of this module fills
 * with rebase and rebuild). An image that waits on a local base follows only a base updated here;
 * one image's expected failure is its own outcome; an engine that is gone, or a bug, is thrown on.
 */
export async function actInOrder(
  work: readonly PlanEntry[],
  plan: readonly PlanEntry[],
  act: (entry: PlanEntry) => Promise<ActionOutcome>,
  progress: (message: string) => void,
): Promise<ActionOutcome[]> {
  const actions: ActionOutcome[] = [];
  /** What this cycle did to each image, by name. */
  const done = new Map<string, ActionOutcome>();
  for (const entry of work) {
    const waiting = entry.waitsOn === undefined ? null : baseNotUpdated(entry.waitsOn, done, plan);
    if (waiting !== null) {
      actions.push(outcome(entry, 'skipped', waiting));
      continue;
    }
    progress(`${entry.image}: ${describePlan(entry)}`);
    try {
      const result = await act(entry);
      actions.push(result);
      done.set(entry.image, result);
    } catch (error) {
      const reason = actFailureReason(error);
      if (reason === null) throw error;
      const failed = outcome(entry, 'failed', reason);
      actions.push(failed);
      done.set(entry.image, failed);
    }
  }
  return actions;
}

/** Why an image that waits on a local base is not rebuilt this cycle, or null when its base was updated. */
function baseNotUpdated(base: string, done: ReadonlyMap<string, ActionOutcome>, plan: readonly PlanEntry[]): string | null {
  const result = done.get(base);
  if (result?.kind === 'rebased' || result?.kind === 'rebuilt') return null;
  if (result !== undefined) return `waits on ${base}, which was not updated (${result.kind}: ${result.reason})`;
  const planned = plan.find((entry) => entry.image === base);
  return `waits on ${base}, which this cycle does not update (${planned?.why ?? 'not planned'})`;
}

export function outcome(entry: PlanEntry, kind: ActionOutcome['kind'], reason: string, extra: Partial<ActionOutcome> = {}): ActionOutcome {
  return {
    target: entry.image,
    kind,
    reason,
    baseRef: entry.baseRef,
    digest: entry.digest,
    oldImageId: entry.imageId,
    newImageId: null,
    packages: null,
    containersOnOldImage: [],
    warnings: [],
    ...extra,
  };
}

export function pinOutcome(file: string, kind: ActionOutcome['kind'], reason: string, digest: string | null = null): ActionOutcome {
  return { target: file, kind, reason, baseRef: null, digest, oldImageId: null, newImageId: null, packages: null, containersOnOldImage: [], warnings: [] };
}

/** Running containers still on the image a tag just left: the user restarts them, we do not. */
async function containersOn(engine: EngineClient, imageId: string): Promise<string[]> {
  try {
    const running = await engine.listContainers({ all: false });
    return running.filter((c) => c.imageId === imageId).map((c) => `${(c.names[0] ?? c.id).replace(/^\//, '')} (${c.id.slice(0, 12)})`);
  } catch {
    return [];
  }
}
