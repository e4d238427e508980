/**
 * A small file of basewatch's own, read only when it is a regular file within `maxBytes`: a FIFO,
 * a device or a folder in its place must not hang or flood a command. `null` then (and when
 * missing: `missing`), and the caller falls back to its careful path.
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';

export async function readRegularFile(file: string, maxBytes: number): Promise<string | 'missing' | null> {
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait for one.
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > maxBytes) return null;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
