/**
 * Moving tags crash-safely.
 *
 * A tag move is one engine call and atomic, and both images are complete before the first
 * move, so a crash between moves leaves every tag on a complete image. What a crash can leave
 * is a half-done set of moves: the journal, written before the first move and removed after
 * the last, lets the next run finish them (roll forward: the new image was verified already,
 * see recover-tag-move). A tag moves only while it is still on the image the operation started
 * from (compare and swap, see moveTags): the journal lists only the tags checked so, and
 * recovery checks them again.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EngineClient } from '../../engine/docker-engine.js';
import { withoutKeepTags } from '../../refs/keep-tags.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { failpoint } from '../../util/failpoint.js';
import { type TagMove, appendHistory } from './history.js';
import { withTagMoveLock } from './tag-move-lock.js';

export const JOURNAL_FILE = 'tag-move-journal.json';

/** A tag that was no longer on the image an operation started from when its turn to move came. */
export interface TagLeftAlone {
  readonly tag: string;
  /** The image it is on now; null when it was removed. */
  readonly nowId: string | null;
}

/** What a tag move did; moved, alreadyThere and left together hold every tag of the move. */
export interface TagMoveResult {
  /** Moved onto the new image by this call. */
  readonly moved: readonly string[];
  /** Already on the new image (another basewatch run made and tagged the very same image). */
  readonly alreadyThere: readonly string[];
  /** Re-pointed or removed by someone else since the operation read them: theirs now, not moved. */
  readonly left: readonly TagLeftAlone[];
}

/**
 * Moves every tag that is still on `move.fromId` to `move.toId`, crash-safely, and records it.
 *
 * A rebase, rebuild or rollback reads the tags when it starts and moves them minutes later. Any
 * tag that is no longer on the image it started from by then (the user ran `docker build -t
 * app:dev .`, another basewatch rebased the same image first) is left where it is and reported:
 * moving it would throw away that newer image. The check is made under the tag-move lock, so
 * another basewatch cannot move a tag between it and the move; only a plain `docker tag` can, in
 * the moment between one tag's inspect and its move, which the engine offers no way to close.
 */
export async function moveTags(engine: EngineClient, stateDir: string, move: TagMove): Promise<TagMoveResult> {
  return withTagMoveLock(stateDir, () => moveTagsHoldingLock(engine, stateDir, move));
}

type TagState = { readonly kind: 'from' } | { readonly kind: 'to' } | { readonly kind: 'left'; readonly nowId: string | null };

async function tagState(engine: EngineClient, tag: string, move: Pick<TagMove, 'fromId' | 'toId'>): Promise<TagState> {
  const now = await engine.inspectImage(tag);
  if (now?.id === move.fromId) return { kind: 'from' };
  if (now?.id === move.toId) return { kind: 'to' };
  return { kind: 'left', nowId: now?.id ?? null };
}

/** {@link moveTags} for a caller already inside {@link withTagMoveLock} (which is not re-entrant). */
export async function moveTagsHoldingLock(engine: EngineClient, stateDir: string, move: TagMove): Promise<TagMoveResult> {
  const alreadyThere: string[] = [];
  const left: TagLeftAlone[] = [];
  const movable: string[] = [];
  for (const tag of withoutKeepTags(move.tags)) {
    const state = await tagState(engine, tag, move);
    if (state.kind === 'from') movable.push(tag);
    else if (state.kind === 'to') alreadyThere.push(tag);
    else left.push({ tag, nowId: state.nowId });
  }
  // Nothing to move: no keep tag, journal or history line for a move that did not happen.
  if (movable.length === 0) return { moved: [], alreadyThere, left };

  if (move.keepTag !== null) await engine.tagImage(move.fromId, move.keepTag);
  failpoint('tags:after-keep-tag');
  const journal = path.join(stateDir, JOURNAL_FILE);
  // Only the tags checked above: a crash recovery must not move the others either.
  await writeFileAtomic(journal, JSON.stringify({ ...move, tags: movable }));
  const moved: string[] = [];
  for (const tag of movable) {
    // Again right before its move: the keep tag, the journal and the moves before it took time.
    const state = await tagState(engine, tag, move);
    if (state.kind === 'to') alreadyThere.push(tag);
    if (state.kind === 'left') left.push({ tag, nowId: state.nowId });
    if (state.kind !== 'from') continue;
    await engine.tagImage(move.toId, tag);
    moved.push(tag);
    if (moved.length === 1) failpoint('tags:after-first-move');
  }
  if (moved.length > 0) await appendHistory(stateDir, { ...move, tags: moved });
  await fs.rm(journal, { force: true });
  return { moved, alreadyThere, left };
}

/**
 * One warning per tag left alone, e.g. "app:dev was re-pointed to sha256:… while rebasing; left
 * it there".
 */
export function describeLeftTags(kind: TagMove['kind'], left: readonly TagLeftAlone[]): string[] {
  const doing = kind === 'rebase' ? 'rebasing' : kind === 'rebuild' ? 'rebuilding' : 'rolling back';
  return left.map(({ tag, nowId }) =>
    nowId === null ? `${tag} was removed while ${doing}; left it out` : `${tag} was re-pointed to ${nowId} while ${doing}; left it there`,
  );
}
