/**
 * The history file: append-only JSON lines, one per finished rebase, rebuild or rollback. A
 * line is written inside the journalled tag move it describes (under the tag-move lock), and
 * `rollback` reads it under that lock, so it lives with the tag moves; `status` reads it too.
 * Pins written to Dockerfiles (policy pin) are lines of their own kind: `history` lists them,
 * the tag-move readers never see them (an older basewatch skips them as it skips a torn line).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readBoundedFile, setFileAsideWithNotice } from '../../util/read-bounded-file.js';
import { ensurePrivateDir } from '../../util/private-path.js';

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

/** Digest pins a cycle (policy pin) or `basewatch pin` moved in one Dockerfile. */
export const PinRecordSchema = z.object({
  kind: z.literal('pin'),
  file: z.string(),
  at: z.string(),
  changes: z.array(
    z.object({
      line: z.number(),
      image: z.string(),
      /** The FROM as it was and as it is now. */
      from: z.string(),
      to: z.string(),
      /** The digest a stale pin had; null when the line was not pinned before. */
      previous: z.string().nullable(),
    }),
  ),
});
export type PinRecord = z.infer<typeof PinRecordSchema>;

export type HistoryEntry = TagMove | PinRecord;
/** A line of the history file: a tag move or a pin (built once, not per line read). */
const HistoryEntrySchema = z.union([TagMoveSchema, PinRecordSchema]);

async function appendLine(stateDir: string, entry: HistoryEntry): Promise<void> {
  await ensurePrivateDir(stateDir);
  // One short line through O_APPEND: concurrent writers do not interleave within it.
  await fs.appendFile(path.join(stateDir, HISTORY_FILE), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

export function appendHistory(stateDir: string, move: TagMove): Promise<void> {
  return appendLine(stateDir, move);
}

export function appendPinRecord(stateDir: string, record: PinRecord): Promise<void> {
  return appendLine(stateDir, record);
}

/** The tag moves (rebase, rebuild, rollback), oldest first. */
export async function readHistory(stateDir: string): Promise<TagMove[]> {
  return (await readHistoryEntries(stateDir)).filter((entry): entry is TagMove => entry.kind !== 'pin');
}

/** Every entry, tag moves and pins, oldest first. */
export async function readHistoryEntries(stateDir: string): Promise<HistoryEntry[]> {
  const file = path.join(stateDir, HISTORY_FILE);
  // Bounded, regular files only (a FIFO or /dev/zero in its place must not hang `status`).
  const read = await readBoundedFile(file, 'history');
  if (!read.ok) {
    // Not a regular file or oversized: set aside so the next move can append to a fresh one.
    if (read.problem === 'not-regular' || read.problem === 'too-large') await setFileAsideWithNotice(file, 'history file', read.message);
    return [];
  }
  const text = read.text;
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    const parsed = HistoryEntrySchema.safeParse((() => {
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

