/**
 * Crash safety for moving tags, and the record `rollback` reads.
 *
 * A tag move is one engine call and atomic, and both images are complete before the first
 * move, so a crash between moves leaves every tag on a complete image. What a crash can leave
 * is a half-done set of moves: the journal, written before the first move and removed after
 * the last, lets the next run finish them (roll forward: the new image was verified already).
 * The history file is append-only JSON lines: one line per finished rebase, rebuild or rollback.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { EngineClient } from '../engine/docker-engine.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import { failpoint } from '../util/failpoint.js';

export const JOURNAL_FILE = 'tag-move-journal.json';
export const HISTORY_FILE = 'history.jsonl';

export const TagMoveSchema = z.object({
  kind: z.enum(['rebase', 'rebuild', 'rollback']),
  image: z.string(),
  tags: z.array(z.string()),
  fromId: z.string(),
  toId: z.string(),
  /** Keeps the image the tags left reachable (and safe from `docker image prune`). */
  keepTag: z.string().nullable(),
  at: z.string(),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type TagMove = z.infer<typeof TagMoveSchema>;

const KEEP_REPOSITORY = 'basewatch-rollback';

/** `basewatch-rollback:<12 hex of the image id>`: one per kept image, valid as a Docker reference. */
export function keepTagFor(imageId: string): string {
  return `${KEEP_REPOSITORY}:${imageId.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** Our own keep tags are not the user's names: never linked, reported, moved or matched. */
export function isKeepTag(tag: string): boolean {
  return tag.startsWith(`${KEEP_REPOSITORY}:`) || tag.startsWith(`docker.io/library/${KEEP_REPOSITORY}:`);
}

export function withoutKeepTags(tags: readonly string[]): string[] {
  return tags.filter((tag) => !isKeepTag(tag));
}

const LOCK_FILE = 'tag-move.lock';
const LOCK_WAIT_MS = 10 * 60 * 1000;

/**
 * One tag mover at a time per user (the CLI and the daemon share the state dir): a lock file
 * holding the owner's pid, taken with O_EXCL; a lock whose owner is dead is taken over.
 */
export async function withTagMoveLock<T>(stateDir: string, run: () => Promise<T>): Promise<T> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const lock = path.join(stateDir, LOCK_FILE);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
      if (!Number.isInteger(owner) || owner <= 0 || (owner !== process.pid && !isAlive(owner))) {
        await fs.rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another basewatch (pid ${owner}) has been moving tags for too long; lock ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await run();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

async function appendHistory(stateDir: string, move: TagMove): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  // One short line through O_APPEND: concurrent writers do not interleave within it.
  await fs.appendFile(path.join(stateDir, HISTORY_FILE), `${JSON.stringify(move)}\n`, { mode: 0o600 });
}

/** Moves every tag from one complete image to another, crash-safely, and records it. */
export async function moveTags(engine: EngineClient, stateDir: string, move: TagMove): Promise<void> {
  await withTagMoveLock(stateDir, () => moveTagsLocked(engine, stateDir, { ...move, tags: withoutKeepTags(move.tags) }));
}

async function moveTagsLocked(engine: EngineClient, stateDir: string, move: TagMove): Promise<void> {
  if (move.keepTag !== null) await engine.tagImage(move.fromId, move.keepTag);
  failpoint('tags:after-keep-tag');
  const journal = path.join(stateDir, JOURNAL_FILE);
  await writeFileAtomic(journal, JSON.stringify(move));
  for (const [i, tag] of move.tags.entries()) {
    await engine.tagImage(move.toId, tag);
    if (i === 0) failpoint('tags:after-first-move');
  }
  await appendHistory(stateDir, move);
  await fs.rm(journal, { force: true });
}

/**
 * Finishes a tag move a crashed run left behind. Returns what it did, for a warning, or null.
 * Rolls forward when the target image exists, but only for tags still on the old image (or
 * gone): a tag the user has pointed elsewhere since is theirs.
 */
export async function recoverTagMove(engine: EngineClient, stateDir: string): Promise<string | null> {
  return withTagMoveLock(stateDir, () => recoverLocked(engine, stateDir));
}

async function recoverLocked(engine: EngineClient, stateDir: string): Promise<string | null> {
  const journal = path.join(stateDir, JOURNAL_FILE);
  let text: string;
  try {
    text = await fs.readFile(journal, 'utf8');
  } catch {
    return null;
  }
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

export async function readHistory(stateDir: string): Promise<TagMove[]> {
  let text: string;
  try {
    text = await fs.readFile(path.join(stateDir, HISTORY_FILE), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    const parsed = TagMoveSchema.safeParse((() => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return null;
      }
    })());
    // A torn last line after a crash is skipped, not fatal.
    return parsed.success ? [parsed.data] : [];
  });
}

/** Removes spool folders of rebases whose process is gone. */
export async function removeStaleSpools(tmpDir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(tmpDir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^rebase-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid)) continue;
    if (pid === process.pid || isAlive(pid)) continue;
    await fs.rm(path.join(tmpDir, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
