/**
 * A cache basewatch keeps in its state folder (the image facts, the project files): read when it
 * is a plain file within its bound and parses, else set aside (for a bug report) and started
 * over with one warning; written privately and atomically, and a failed write is a warning (the
 * next run reads again), never the command's failure.
 */
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { readRegularFile } from './read-regular-file.js';
import { setFileAside } from '../util/read-bounded-file.js';

export interface LoadedCacheFile<T> {
  /** null when there was none, or it was set aside: start an empty one. */
  readonly cache: T | null;
  /** Set when the file could not be read and was set aside: say so, once. */
  readonly warning: string | null;
}

/**
 * `<stateDir>/<name>` through `parse` (null: it cannot be used). `what` names it in the warning
 * ("the image cache").
 */
export async function loadCacheFile<T>(stateDir: string, name: string, maxBytes: number, parse: (text: string) => T | null, what: string, now: Date = new Date()): Promise<LoadedCacheFile<T>> {
  const file = path.join(stateDir, name);
  const text = await readRegularFile(file, maxBytes);
  if (text === 'missing') return { cache: null, warning: null };
  // Not a plain file, or far too big for its bound: set aside like an unreadable one.
  const cache = text === null ? null : parse(text);
  if (cache !== null) return { cache, warning: null };
  const aside = await setFileAside(file, now);
  return {
    cache: null,
    warning: aside === null ? `${what} ${file} could not be read nor moved aside; remove it` : `${what} ${file} could not be read; set aside as ${path.basename(aside)} and rebuilt`,
  };
}

/** Writes `<stateDir>/<name>` (0600, atomically); a failure is returned as a warning naming `what`. */
export async function saveCacheFile(stateDir: string, name: string, json: string, what: string): Promise<string | null> {
  try {
    await writeFileAtomic(path.join(stateDir, name), json);
  } catch (error) {
    return `${what} could not be saved in ${stateDir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  return null;
}
