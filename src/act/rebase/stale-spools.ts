/** Spool folders (`rebase-<pid>-…` under the temp folder) that a crashed rebase left. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { processExists } from '../../util/process-identity.js';

/** Removes spool folders of rebases whose process is gone; returns the folders removed. */
export async function removeStaleSpools(tmpDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(tmpDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(/^rebase-(\d+)-/.exec(name)?.[1]);
    if (!Number.isInteger(pid)) continue;
    if (pid === process.pid || processExists(pid)) continue;
    await fs.rm(path.join(tmpDir, name), { recursive: true, force: true });
    removed.push(path.join(tmpDir, name));
  }
  return removed;
}
