/**
 * The history file: append-only JSON lines, one per finished rebase, rebuild or rollback. A
 * line is written inside the journalled tag move it describes (under the tag-move lock), and
 * `rollback` reads it under that lock, so it lives with the tag moves; `status` reads it too.
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

export async function appendHistory(stateDir: string, move: TagMove): Promise<void> {
  await ensurePrivateDir(stateDir);
  // One short line through O_APPEND: concurrent writers do not interleave within it.
  await fs.appendFile(path.join(stateDir, HISTORY_FILE), `${JSON.stringify(move)}\n`, { mode: 0o600 });
}

export async function readHistory(stateDir: string): Promise<TagMove[]> {
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

