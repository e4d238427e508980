/**
 * Crash-safe file writes: write a temp file beside the target, fsync it, rename it over the
 * target, fsync the folder. A reader sees the old file or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { processExists } from './process-identity.js';
import { ensurePrivateDir } from './private-path.js';

/**
 * `file`'s folder is one of basewatch's own unless `userFolder` says it is the user's (a
 * Dockerfile `pin` rewrites): then it is neither made nor judged.
 */
export async function writeFileAtomic(file: string, data: string, mode = 0o600, options: { readonly userFolder?: boolean } = {}): Promise<void> {
  const dir = path.dirname(file);
  if (options.userFolder !== true) await ensurePrivateDir(dir);
  // Named with our pid: removeStaleTempFiles must tell a live writer's file from a crashed one's.
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'w', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  // Make the rename itself durable; not every platform lets a folder be opened for sync.
  try {
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    // Windows and some network filesystems refuse; the rename is still atomic there.
  }
}

/**
 * A temp file lives for one write: milliseconds, or seconds on a slow disk. One this old is left
 * over whatever its pid says (the pid was reused, or belongs to another pid namespace).
 */
const TEMP_FILE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/**
 * A dead pid's temp file younger than this is kept too: a writer in another pid namespace (a
 * container sharing the folder) looks dead from here while it still writes.
 */
const DEAD_WRITER_GRACE_MS = 60 * 1000;

/**
 * Removes temp files crashed writers left beside `file`: those of a pid that no longer runs, and
 * any that are very old. Never a live writer's: removing its temp file makes its rename fail.
 */
export async function removeStaleTempFiles(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix) && name.endsWith('.tmp'))
      .map(async (name) => {
        const temp = path.join(dir, name);
        const stat = await fs.lstat(temp).catch(() => null);
        if (stat === null) return; // renamed into place or removed meanwhile
        const age = Date.now() - stat.mtimeMs;
        const pid = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length))?.[1];
        const writerGone = pid !== undefined && !processExists(Number(pid)) && age > DEAD_WRITER_GRACE_MS;
        if (writerGone || age > TEMP_FILE_MAX_AGE_MS) await fs.rm(temp, { force: true });
      }),
  );
}
