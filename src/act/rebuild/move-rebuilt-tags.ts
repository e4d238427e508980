/**
 * The rebuild's last step: the result takes its tags. Tags on the old image move (journalled, so
 * `basewatch rollback` undoes them), others are given; with no old image every tag is new.
 */
import { keepTagFor } from '../../refs/keep-tags.js';
import type { EngineClient } from '../../engine/engine-client.js';
import { EngineError } from '../../engine/engine-error.js';
import { PACKAGE_DB_PATHS, packageChangesBetween } from '../rebase/package-changes.js';
import type { PackageChanges } from '../rebase/rebase-types.js';
import { removeUntagged } from '../remove-untagged.js';
import { describeLeftTags, moveTags } from '../tag-moves/move-tags.js';
import type { BuildSpec } from './build-source.js';
import { splitTags } from './decide-rebuild.js';
import type { PreparedRebuild } from './prepare-rebuild.js';
import type { RebuildRun } from './rebuild-run.js';
import type { RebuildDeps, RebuildOutcome } from './rebuild-types.js';

export async function moveRebuiltTags(deps: RebuildDeps, spec: BuildSpec, run: RebuildRun, { old, tags }: PreparedRebuild, newImageId: string): Promise<RebuildOutcome> {
  run.progress('moving the tags');
  if (old === null) {
    // Nothing to keep or roll back to: the tags are new.
    for (const tag of tags) await deps.engine.tagImage(newImageId, tag);
    return run.finish('rebuilt');
  }
  // Tags the spec names for the result that were not on the old image are given, not moved.
  const { onOld, given } = splitTags(tags, old.repoTags);
  for (const tag of given) await deps.engine.tagImage(newImageId, tag);
  const keepTag = keepTagFor(old.id);
  const { outcome } = run;
  const packages = await rebuiltPackageChanges(deps.engine, old.id, newImageId);
  const moved = await moveTags(deps.engine, deps.stateDir, {
    kind: 'rebuild',
    image: outcome.image,
    tags: onOld,
    fromId: old.id,
    toId: newImageId,
    keepTag,
    at: (deps.now?.() ?? new Date()).toISOString(),
    // Build arg values can hold secrets: only their names are recorded.
    details: {
      dockerfile: spec.dockerfile,
      context: spec.context,
      target: spec.target,
      buildArgs: Object.keys(spec.buildArgs),
      newBase: outcome.baseRef === null ? null : { ref: outcome.baseRef, digest: outcome.baseDigest },
      // As a rebase records them: `basewatch history` lists every change.
      packages: packages?.summary ?? null,
      packageChanges: packages === null ? null : { upgraded: packages.upgraded, downgraded: packages.downgraded, added: packages.added, removed: packages.removed },
    },
  });
  const leftAlone = describeLeftTags('rebuild', moved.left);
  run.record({ tags: [...given, ...moved.moved, ...moved.alreadyThere] });
  if (run.outcome.tags.length > 0 || moved.left.length === 0) {
    // Some tag is on the new image (moved here, or by another run that built the same image).
    run.warnings.push(...leftAlone);
    if (moved.moved.length > 0) run.record({ keepTag });
    return run.finish('rebuilt');
  }
  // Nobody wants the new image any more. One with a tag by now (someone tagged it) stays.
  const removed = await removeUntagged(deps.engine, newImageId);
  const what = removed ? 'the rebuilt image was removed' : `the rebuilt image stays as ${newImageId}`;
  return run.finish('skipped', [...leftAlone, `no tag is on ${old.id} any more; ${what}`]);
}

/**
 * The package changes from the old image to the rebuilt one, read from both through the engine;
 * null when either cannot be read (the rebuild stands; history then has no package list).
 */
async function rebuiltPackageChanges(engine: EngineClient, oldId: string, newId: string): Promise<PackageChanges | null> {
  try {
    const [before, after] = await Promise.all([engine.readImageFiles(oldId, PACKAGE_DB_PATHS), engine.readImageFiles(newId, PACKAGE_DB_PATHS)]);
    return packageChangesBetween(before, after);
  } catch (error) {
    if (error instanceof EngineError) return null;
    throw error;
  }
}
