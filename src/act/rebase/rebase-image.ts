/**
 * `basewatch rebase`: moves a local image onto a new digest of its base without rebuilding, when
 * that is provably safe (design.md "Rebase"). Order of work: everything that can refuse runs
 * before anything changes the engine; the new image is complete and verified before the first
 * tag moves; tag moves are journalled (act/tag-moves/).
 *
 * In steps: prepare (prepare-rebase.ts: read the image, its link, both bases, the export) →
 * decide (decide-rebase.ts, pure: the new config, or why not) → apply (apply-rebase.ts: pull,
 * load, verify, move the tags). A step's way out is a Refusal; RebaseRun holds what they share.
 */
import { applyRebase } from './apply-rebase.js';
import { decideRebase, dryRunReport } from './decide-rebase.js';
import { prepareRebase } from './prepare-rebase.js';
import { RebaseRun, Refusal } from './rebase-run.js';
import type { RebaseDeps, RebaseOutcome, RebaseRequest } from './rebase-types.js';

export { unstartedRebase } from './rebase-run.js';
export type { LinkedImage, PackageChanges, RebaseDeps, RebaseOutcome, RebaseRequest, RebaseStatus } from './rebase-types.js';

export async function rebaseImage(deps: RebaseDeps, request: RebaseRequest): Promise<RebaseOutcome> {
  const run = new RebaseRun(request.image, deps.onProgress);
  try {
    const prepared = await prepareRebase(deps, request, run);
    const decided = decideRebase({ archive: prepared.archive, oldBase: prepared.oldBase, newBase: prepared.newBase, newRef: prepared.newRef, force: request.force });
    run.warnings.push(...decided.warnings);
    if (!decided.ok) throw new Refusal('refused', [...decided.reasons]);
    run.record({ layersReused: prepared.appDiffIds.length });

    const alreadyLocal = await prepared.alreadyLocal;
    if (request.dryRun) {
      const report = dryRunReport(decided.baseLayers, await prepared.newFiles);
      run.record({ packages: report.packages });
      run.warnings.push(...report.warnings);
      return run.finish('dry-run');
    }
    return await applyRebase(deps, run, prepared, decided, alreadyLocal);
  } catch (error) {
    return run.outcomeOf(error);
  } finally {
    await run.end();
  }
}
