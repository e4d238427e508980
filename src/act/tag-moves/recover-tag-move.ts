/** Finishing a tag move a crashed run left half done (the journal of move-tags). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readBoundedFile, setFileAside } from '../../util/read-bounded-file.js';
import type { EngineClient } from '../../engine/docker-engine.js';
import { withoutKeepTags } from '../../refs/keep-tags.js';
import { type TagMove, TagMoveSchema, appendHistory } from './history.js';
import { JOURNAL_FILE } from './move-tags.js';
import { withTagMoveLock } from './tag-move-lock.js';

/**
 * Finishes a tag move a crashed run left behind. Returns what it did, for a warning, or null.
 * Rolls forward when the target image exists, but only for tags still on the old image (or
 * gone): a tag the user has pointed elsewhere since is theirs.
 */
export async function recoverTagMove(engine: EngineClient, stateDir: string): Promise<string | null> {
  // No journal, nothing to finish: a check need not wait for the lock a running rebase holds.
  // (A journal written after this look belongs to a move under way, which finishes it itself.)
  const pending = await fs.access(path.join(stateDir, JOURNAL_FILE)).then(() => true, () => false);
  if (!pending) return null;
  return withTagMoveLock(stateDir, () => recoverLocked(engine, stateDir));
}

async function recoverLocked(engine: EngineClient, stateDir: string): Promise<string | null> {
  const journal = path.join(stateDir, JOURNAL_FILE);
  // Bounded, regular files only: a FIFO in its place must not block every rebase and update.
  const read = await readBoundedFile(journal, 'lock');
  if (!read.ok) {
    if (read.problem === 'missing' || read.problem === 'unreadable') return null;
    const aside = await setFileAside(journal);
    return `set aside a tag-move journal ${journal} that ${read.message}${aside === null ? '' : ` (now ${aside})`}`;
  }
  const text = read.text;
  let move: TagMove;
  try {
    move = TagMoveSchema.parse(JSON.parse(text));
  } catch {
    await fs.rm(journal, { force: true });
    return `removed an unreadable tag-move journal ${journal}`;
  }
  const target = await engine.inspectImage(move.toId);
  if (target === null) {
    await fs.rm(journal, { force: true });
    return `an interrupted ${move.kind} of ${move.image} had not moved its tags; they stay on ${move.fromId}`;
  }
  const moved: string[] = [];
  const left: string[] = [];
  for (const tag of withoutKeepTags(move.tags)) {
    const now = await engine.inspectImage(tag);
    if (now === null || now.id === move.fromId || now.id === move.toId) {
      await engine.tagImage(move.toId, tag);
      moved.push(tag);
    } else {
      left.push(tag);
    }
  }
  await appendHistory(stateDir, { ...move, tags: moved });
  await fs.rm(journal, { force: true });
  const leftNote = left.length > 0 ? `; left ${left.join(', ')} where you had put them since` : '';
  return `finished an interrupted ${move.kind} of ${move.image}: ${moved.join(', ') || 'no tag'} now on ${move.toId}${leftNote}`;
}
