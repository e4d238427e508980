/** `basewatch rollback`: puts an image's tags back on the image a rebase or rebuild replaced. */
import type { EngineClient } from '../engine/docker-engine.js';
import { finishLeftovers } from './tag-moves/leftovers.js';
import { describeLeftTags, moveTagsHoldingLock } from './tag-moves/move-tags.js';
import { withTagMoveLock } from './tag-moves/tag-move-lock.js';
import { readHistory } from './tag-moves/history.js';
import { keepTagFor, withoutKeepTags } from '../refs/keep-tags.js';

export interface RollbackOutcome {
  readonly status: 'rolled-back' | 'nothing' | 'failed';
  readonly image: string;
  readonly tags: readonly string[];
  /** The image the tags were on, and the one they are on now. */
  readonly fromId: string | null;
  readonly toId: string | null;
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
}

export async function rollbackImage(deps: { engine: EngineClient; stateDir: string; now?: () => Date }, image: string): Promise<RollbackOutcome> {
  const warnings: string[] = await finishLeftovers(deps.engine, deps.stateDir);
  // Read and decided under the lock: a rebase or another rollback finishing meanwhile changes
  // both where the tag is and the newest history line.
  return withTagMoveLock(deps.stateDir, () => rollbackHoldingLock(deps, image, warnings));
}

async function rollbackHoldingLock(deps: { engine: EngineClient; stateDir: string; now?: () => Date }, image: string, warnings: string[]): Promise<RollbackOutcome> {
  const base = { image, tags: [] as string[], fromId: null, toId: null, warnings };
  const current = await deps.engine.inspectImage(image);
  if (current === null) return { ...base, status: 'failed', reasons: [`no local image ${image} (see \`docker image ls\`)`] };

  // The newest rebase or rebuild that produced the image the tag is on now.
  const history = await readHistory(deps.stateDir);
  const last = history.filter((move) => move.kind !== 'rollback' && move.toId === current.id).at(-1);
  if (last === undefined) {
    return {
      ...base,
      status: 'nothing',
      reasons: [`${image} (${current.id}) was not made by a basewatch rebase or rebuild, or was rolled back already`],
    };
  }
  const previous = await deps.engine.inspectImage(last.fromId);
  if (previous === null) {
    return { ...base, status: 'failed', reasons: [`the previous image ${last.fromId} is gone (removed with docker rmi or prune?)`] };
  }
  // Only tags still on the rebased image go back: a tag moved elsewhere since is the user's.
  const tags = withoutKeepTags(last.tags.filter((tag) => current.repoTags.includes(tag)));
  const nothingBack = `none of ${last.tags.join(', ')} is on ${current.id} any more; nothing to put back (the previous image stays as ${last.keepTag ?? last.fromId})`;
  if (tags.length === 0) return { ...base, status: 'nothing', reasons: [nothingBack] };
  const moved = await moveTagsHoldingLock(deps.engine, deps.stateDir, {
    kind: 'rollback',
    image,
    tags,
    fromId: current.id,
    toId: last.fromId,
    keepTag: null,
    at: (deps.now ?? (() => new Date()))().toISOString(),
    details: {},
  });
  const leftAlone = describeLeftTags('rollback', moved.left);
  if (moved.moved.length === 0 && moved.alreadyThere.length === 0) return { ...base, status: 'nothing', reasons: [...leftAlone, nothingBack] };
  warnings.push(...leftAlone);
  // The previous image is tagged again: the tag that kept it reachable has done its job. Only
  // ever untag it while the image has another tag, or Docker would delete the image with it.
  const restored = await deps.engine.inspectImage(last.fromId);
  if (last.keepTag !== null && last.keepTag === keepTagFor(last.fromId) && restored !== null && withoutKeepTags(restored.repoTags).length > 0) {
    await deps.engine.removeImage(last.keepTag).catch(() => false);
  }
  return { ...base, status: 'rolled-back', tags: [...moved.moved, ...moved.alreadyThere], fromId: current.id, toId: last.fromId, reasons: [] };
}
