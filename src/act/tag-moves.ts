/**
 * Crash safety for moving tags, and the record `rollback` reads.
 *
 * A tag move is one engine call and atomic, and both images are complete before the first
 * move, so a crash between moves leaves every tag on a complete image. What a crash can leave
 * is a half-done set of moves: the journal, written before the first move and removed after
 * the last, lets the next run finish them (roll forward: the new image was verified already).
 * A tag moves only while it is still on the image the operation started from (compare and swap,
 * see moveTags): the journal lists only the tags checked so, and recovery checks them again.
 * The history file is append-only JSON lines: one line per finished rebase, rebuild or rollback.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { EngineClient } from '../engine/docker-engine.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { FileLockTimeoutError, withFileLock } from '../util/file-lock.js';
import { processExists } from '../util/process-identity.js';
import { failpoint } from '../util/failpoint.js';
import { withoutKeepTags } from '../refs/keep-tags.js';

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

/**
 * The lock's folder in the state folder (see util/file-lock). Basewatch before this version kept
 * a pid file of the same name; a folder there makes such a version fail its tag move (it cannot
 * read or remove a folder) instead of moving tags beside us.
 */
export const TAG_MOVE_LOCK_NAME = 'tag-move.lock';
/**
 * How long to wait for another basewatch's tag moves. A move is a few engine calls, but each may
 * take up to the engine client's 30 s timeout on a busy engine (a big `docker load`), and a
 * recovery inspects every tag first: two minutes rides that out. A holder that keeps it longer is
 * stuck (suspended with Ctrl-Z, an engine that hangs): say so rather than seem to hang with it.
 */
const TAG_MOVE_LOCK_WAIT_MS = 2 * 60 * 1000;
/** An older basewatch held its pid file for seconds, and its waiters gave up after 10 minutes. */
const LEGACY_LOCK_MAX_AGE_MS = 10 * 60 * 1000;
/** That pid file was created empty and the pid written next: empty for this long, its writer died. */
const LEGACY_LOCK_EMPTY_MS = 5_000;

export class TagMoveLockTimeoutError extends Error {
  override readonly name = 'TagMoveLockTimeoutError';
}

/**
 * The live pid in an older basewatch's pid file at the lock's path, or null when there is none
 * or it is stale (its process is gone, or the file is older than any move of that version took).
 */
async function legacyLockHolder(lockPath: string): Promise<{ readonly pid: number | null; readonly live: boolean } | null> {
  let text: string;
  let age: number;
  try {
    const stat = await fs.lstat(lockPath);
    if (stat.isDirectory()) return null;
    age = Date.now() - stat.mtimeMs;
    text = (await fs.readFile(lockPath, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Gone, or replaced by our own folder since the lstat.
    if (code === 'ENOENT' || code === 'EISDIR') return null;
    throw error;
  }
  if (text === '') return { pid: null, live: age < LEGACY_LOCK_EMPTY_MS };
  const pid = /^\d+$/.test(text) ? Number(text) : null;
  if (pid === null || pid === 0) return { pid: null, live: false };
  return { pid, live: pid !== process.pid && processExists(pid) && age < LEGACY_LOCK_MAX_AGE_MS };
}

/** Waits until no older basewatch holds a pid file at the lock's path, and removes a stale one. */
async function clearLegacyLock(lockPath: string, deadline: number, waitMs: number): Promise<void> {
  for (;;) {
    const legacy = await legacyLockHolder(lockPath);
    if (legacy === null) return;
    if (!legacy.live) {
      // Another of us may have removed it and made the folder meanwhile: that stays.
      await fs.unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
        if (!['ENOENT', 'EISDIR', 'EPERM'].includes(error.code ?? '')) throw error;
      });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = legacy.pid === null ? 'an older basewatch' : `an older basewatch (pid ${legacy.pid})`;
      const stop = legacy.pid === null ? 'stop it' : `stop it (\`kill ${legacy.pid}\`)`;
      throw new TagMoveLockTimeoutError(
        `${who} has been moving image tags for over ${formatWait(waitMs)} (its lock file ${lockPath}); let it finish or ${stop}, restart the basewatch service if it runs the older version, then run this again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function formatWait(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/**
 * One tag mover at a time per user: the daemon and the CLI (`rebase`, `rebuild`, `rollback`,
 * `update`) share the state folder, and two movers at once could leave a tag on the wrong image,
 * or one's journal recovery undo the other's move. A holder that died is taken over at once.
 * Not re-entrant: `run` must not take it again.
 */
export async function withTagMoveLock<T>(stateDir: string, run: () => Promise<T>, options: { readonly waitMs?: number } = {}): Promise<T> {
  const waitMs = options.waitMs ?? TAG_MOVE_LOCK_WAIT_MS;
  const lockDir = path.join(stateDir, TAG_MOVE_LOCK_NAME);
  const deadline = Date.now() + waitMs;
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  await clearLegacyLock(lockDir, deadline, waitMs);
  try {
    return await withFileLock(lockDir, run, { waitMs: Math.max(0, deadline - Date.now()) });
  } catch (error) {
    if (!(error instanceof FileLockTimeoutError) || error.dir !== lockDir) throw error;
    if (error.holder === null) {
      throw new TagMoveLockTimeoutError(`other basewatch processes kept the tag-move lock ${lockDir} busy for ${formatWait(waitMs)}; run this again`);
    }
    const pid = error.holder.pid;
    throw new TagMoveLockTimeoutError(
      `another basewatch (pid ${pid}) has been moving image tags for over ${formatWait(waitMs)} (lock ${lockDir}); if it is stuck (suspended with Ctrl-Z, or waiting on an engine that does not answer), resume or stop it (\`kill ${pid}\`), then run this again`,
    );
  }
}

async function appendHistory(stateDir: string, move: TagMove): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  // One short line through O_APPEND: concurrent writers do not interleave within it.
  await fs.appendFile(path.join(stateDir, HISTORY_FILE), `${JSON.stringify(move)}\n`, { mode: 0o600 });
}

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
    if (pid === process.pid || processExists(pid)) continue;
    await fs.rm(path.join(tmpDir, name), { recursive: true, force: true });
  }
}
