/**
 * `basewatch rebuild`: builds an image again from its Dockerfile through the engine, on freshly
 * pulled bases, and moves its tags to the result. Order of work: everything that can fail without
 * changing a tag (read, pull, build, smoke test) runs first; tag moves are journalled
 * (act/tag-moves/), so `basewatch rollback` undoes a rebuild as it undoes a rebase.
 *
 * In steps: prepare (prepare-rebuild.ts, with the pure decide-rebuild.ts) → pull (pull-bases.ts)
 * → build (build-on-bases.ts) → verify (the smoke test, here) → move tags (move-rebuilt-tags.ts).
 * A step's expected failure is a RebuildFailure; RebuildRun holds what they share.
 */
import type { ImageDetails } from '../../engine/docker-engine.js';
import { failpoint } from '../../util/failpoint.js';
import { runSmokeTest } from '../smoke-test.js';
import { finishLeftovers } from '../tag-moves/leftovers.js';
import type { BuildSpec } from './build-source.js';
import { buildOnBases } from './build-on-bases.js';
import { moveRebuiltTags } from './move-rebuilt-tags.js';
import { prepareRebuild } from './prepare-rebuild.js';
import { pullBases } from './pull-bases.js';
import { RebuildFailure, RebuildRun } from './rebuild-run.js';
import type { RebuildDeps, RebuildOptions, RebuildOutcome } from './rebuild-types.js';

export { LOG_TAIL_LINES } from './rebuild-types.js';
export type { PullCache, RebuildDeps, RebuildOptions, RebuildOutcome, RebuildStatus } from './rebuild-types.js';

export async function rebuildImage(deps: RebuildDeps, spec: BuildSpec, options: RebuildOptions = {}): Promise<RebuildOutcome> {
  const run = new RebuildRun(spec, deps.onProgress);
  try {
    run.warnings.push(...(await finishLeftovers(deps.engine, deps.stateDir)));
    const prepared = await prepareRebuild(deps, spec, options, run);
    if (options.dryRun === true) return run.finish('dry-run');

    const { final } = prepared.plan;
    const pulled = await pullBases(deps, prepared.plan.pulls, run.progress);
    run.warnings.push(...pulled.warnings);
    const finalDigest = final === null ? null : (pulled.digests.get(final.ref) ?? null);
    if (final !== null && finalDigest === null) run.warnings.push(`the engine recorded no digest for ${final.ref}; the base digest label is left out`);
    run.record({ baseDigest: finalDigest });

    const newImageId = await buildOnBases(deps, spec, run, prepared.plan, pulled.auths, finalDigest);
    if (prepared.old !== null && newImageId === prepared.old.id) {
      run.warnings.push('the build gave the very image already tagged (nothing changed); no tag moved');
      return run.finish('rebuilt');
    }
    await smokeTestBuilt(deps, run, newImageId, prepared.old);
    failpoint('rebuild:after-build');
    return await moveRebuiltTags(deps, spec, run, prepared, newImageId);
  } catch (error) {
    return run.outcomeOf(error);
  }
}

/** The `smokeTest` setting, run in a container of the new image; a failure removes it and keeps the tags where they are. */
async function smokeTestBuilt(deps: RebuildDeps, run: RebuildRun, newImageId: string, old: ImageDetails | null): Promise<void> {
  if (deps.smokeTest === null) return;
  run.progress(`smoke test: ${deps.smokeTest}`);
  const smoke = await runSmokeTest(deps.engine, newImageId, deps.smokeTest);
  if (smoke.ok) return;
  await deps.engine.removeImage(newImageId).catch(() => false);
  run.record({ newImageId: null });
  throw new RebuildFailure([smoke.reason, old === null ? 'the new image was removed' : `the tags stay on ${old.id}; the new image was removed`]);
}
