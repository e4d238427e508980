/**
 * The rebuild's last step: the result takes its tags. Tags on the old image move (journalled, so
 * `basewatch rollback` undoes them), others are given; with no old image every tag is new.
 */
import { keepTagFor } from '../../refs/keep-tags.js';
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
