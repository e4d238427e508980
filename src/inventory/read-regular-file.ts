/**
 * A small file of basewatch's own, read through the one bounded reader (util/read-bounded-file):
 * only a regular file within `maxBytes`, opened without blocking, so a FIFO, a device or a folder
 * in its place cannot hang or flood a command. `null` then (and when missing: `missing`), and
 * the caller falls back to its careful path.
 */
import { readBoundedFile } from '../util/read-bounded-file.js';

export async function readRegularFile(file: string, maxBytes: number): Promise<string | 'missing' | null> {
  const read = await readBoundedFile(file, 'cache', maxBytes);
  if (read.ok) return read.text;
  return read.problem === 'missing' ? 'missing' : null;
}
