/**
 * One update cycle: check → record → plan (pure) → act → report. `basewatch update` and the
 * daemon run this. Each image gets one outcome; one failure never stops the others. Images
 * that share a base pull it once (the rebase finds it local after the first pull).
 */
import type { ImageFactsShelf } from '../inventory/image-facts-cache.js';
import type { ProjectFileCache } from '../inventory/project-file-cache.js';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { connectEngine } from '../engine/connect.js';
import { finishLeftovers } from '../act/tag-moves/leftovers.js';
import { failpoint } from '../util/failpoint.js';
import type { BasewatchPaths } from '../config/paths.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { openRegistryParts } from './cycle-parts.js';
import type { CredentialSource } from '../registry/credentials.js';
import { STATE_FILE_NAME, StateLockTimeoutError } from '../record/state-store.js';
import { describePlan, planActions, planPinUpdates } from '../plan/plan-actions.js';
import { parseDuration } from '../util/duration.js';
import type { ActionOutcome, CycleResult, CycleTrigger } from '../record/cycle-result.js';
import { recordActions, recordCheck } from '../record/record-check.js';
import { readSeenTags } from './seen-tags.js';
import { runCheck } from './run-check.js';
import type { ImageListMemo } from '../inventory/image-list-memo.js';
import { actOnPlan, outcome, pinOutcome } from './act-on-plan.js';
import { readBuildLinks } from '../record/build-links.js';
import { type BuildLinksReading, findBuildLink } from '../inventory/build-link.js';

export interface UpdateCycleOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly roots: readonly string[];
  /** Only these images; all when empty. */
  readonly images: readonly string[];
  /** With `images`: also the images built on them (see CheckOptions.withDependents). Default false. */
  readonly withDependents?: boolean;
  readonly dryRun: boolean;
  readonly settings: Settings;
  readonly paths: BasewatchPaths;
  readonly trigger: CycleTrigger;
  readonly onProgress?: (message: string) => void;
  readonly now?: () => Date;
  /** See CheckOptions.displayCwd: where a person typed the command; default none (absolute paths). */
  readonly displayCwd?: string;
  /** What earlier cycles learned of each image ID (the daemon keeps it in memory); default none. */
  readonly imageFacts?: ImageFactsShelf;
  /** The project files read before, and their parses (the daemon keeps it in memory); default none. */
  readonly projectFiles?: ProjectFileCache;
  /** The daemon's image list memo: the cycle lists and keeps its list for the edits after it. */
  readonly imageList?: ImageListMemo;
  /** Wraps the cycle's registry client, e.g. to remember its answers (the daemon does); default none. */
  readonly wrapRegistry?: (client: RegistryClient) => RegistryClient;
}

export async function runUpdateCycle(options: UpdateCycleOptions): Promise<CycleResult> {
  // Rebuildable: built by a compose service under the roots, or linked with `basewatch link`.
  const links = await readBuildLinks(options.paths.state);
  // One registry client for the whole cycle: the check's questions and the act step's pulls share
  // its tokens, rate-limit budget and connections.
  const { registry: opened, credentials } = openRegistryParts(options.settings, options.env);
  const registry = options.wrapRegistry?.(opened) ?? opened;
  try {
    return await checkPlanAct(options, { registry, credentials, links });
  } finally {
    await registry.close();
  }
}

interface CycleParts {
  readonly registry: RegistryClient;
  readonly credentials: CredentialSource;
  readonly links: BuildLinksReading;
}

async function checkPlanAct(options: UpdateCycleOptions, parts: CycleParts): Promise<CycleResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const progress = options.onProgress ?? (() => {});
  const stateFile = path.join(options.paths.state, STATE_FILE_NAME);
  const { registry, credentials, links } = parts;
  const linked = links.ok ? links.links : [];
  // A tag move a crashed run left half done is finished first, whatever else this cycle does (it
  // may have nothing to do), so the check sees whole images. No engine: the check says so.
  // One connection for the whole cycle: when it fails, the check reports why (no second attempt).
  const connecting = connectEngine({ env: options.env as NodeJS.ProcessEnv });
  const engineFirst = await connecting.catch(() => null);
  // Temp folders of runs that died go too, engine or not.
  const warnings: string[] = await finishLeftovers(engineFirst, options.paths.state);
  // A build links file of the wrong type or size was set aside: say so with the cycle.
  if (links.ok && links.warning !== undefined) warnings.push(links.warning);
  const check = await runCheck({
    engine: connecting,
    registry,
    roots: options.roots,
    cwd: options.cwd,
    env: options.env,
    offline: false,
    settings: options.settings,
    cacheDir: options.paths.cache,
    images: options.images,
    withDependents: options.withDependents === true,
    seenTags: await readSeenTags(stateFile),
    buildLinks: linked,
    ...(options.displayCwd !== undefined ? { displayCwd: options.displayCwd } : {}),
    onProgress: progress,
    ...(options.imageFacts !== undefined ? { imageFacts: options.imageFacts } : {}),
    ...(options.projectFiles !== undefined ? { projectFiles: options.projectFiles } : {}),
    ...(options.imageList !== undefined ? { imageList: { memo: options.imageList, listing: 'fresh' as const } } : {}),
  });
  // A cycle about some images (named, or an engine event's) updates their entries in the saved report.
  const { state, warning: stateWarning } = await recordCheck(stateFile, { ...check, partial: options.images.length > 0 }, startedAt, now().getTime() - startedAt.getTime());
  // A state file that was garbage, of the wrong type or oversized was set aside.
  if (stateWarning !== null) warnings.push(stateWarning);

  const buildable = new Set(
    check.report.images.filter((image) => image.source?.dockerfile != null || findBuildLink(linked, image.tags) !== null).map((image) => image.id),
  );
  const plan = planActions({
    report: check.report,
    policy: options.settings.policy,
    policies: options.settings.policies,
    ignore: options.settings.ignore,
    minimumAgeSeconds: parseDuration(options.settings.minimumAge) ?? 3600,
    upstream: state.upstream,
    buildable,
    now: now(),
  });

  const finish = (actions: ActionOutcome[]): CycleResult => ({
    trigger: options.trigger,
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    report: check.report,
    actions,
    plan,
    dryRun: options.dryRun,
    ...(warnings.length > 0 ? { warnings } : {}),
  });

  const pinFiles = planPinUpdates({ report: check.report, policy: options.settings.policy, policies: options.settings.policies });
  if (options.dryRun) {
    return finish([
      ...plan.filter((entry) => entry.action.kind !== 'skip').map((entry) => outcome(entry, 'skipped', `dry run: would ${describePlan(entry)} (${entry.why})`)),
      ...pinFiles.map((file) => pinOutcome(file, 'skipped', 'dry run: would update its outdated digest pins (policy pin)')),
    ]);
  }
  const work = plan.filter((entry) => entry.action.kind !== 'skip');
  if (work.length === 0 && pinFiles.length === 0) return finish([]);

  failpoint('update:before-act');
  // The engine the check read (work was planned, so one answered).
  const engine = check.engine ?? (await connectEngine({ env: options.env as NodeJS.ProcessEnv }));
  const actions = await actOnPlan(
    { engine, registry, credentials, buildLinks: links, check, settings: options.settings, paths: options.paths, env: options.env, cwd: options.cwd, progress },
    plan,
    pinFiles,
  );
  // The saved report then shows the images it moved as they are now, not as the check saw them.
  await recordActions(stateFile, actions, now()).catch((error: unknown) => {
    if (!(error instanceof StateLockTimeoutError)) throw error;
    warnings.push(`the saved report still shows the images as before this cycle acted: ${error.message}`);
  });
  return finish(actions);
}
