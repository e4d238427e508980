/**
 * The temp folders a killed basewatch run leaves under the state folder. Apart from the rest of
 * the leftovers (`leftovers.ts`, whose tag-move journal needs zod): every command removes these
 * first, `status` too, which loads nothing heavy (project issue 14).
 */
import path from 'node:path';
import { removeStaleSpools } from '../rebase/stale-spools.js';

/** Where rebases keep their temp folders (`rebase-<pid>-…`), under the state folder. */
export function tempFolder(stateDir: string): string {
  return path.join(stateDir, 'tmp');
}

/** Removes the temp folders of runs whose process is gone; says which, or null when there were none. */
export async function removeDeadRunTempFolders(stateDir: string): Promise<string | null> {
  const removed = await removeStaleSpools(tempFolder(stateDir));
  if (removed.length === 0) return null;
  const what = removed.length === 1 ? 'the temp folder of a basewatch run' : `${removed.length} temp folders of basewatch runs`;
  return `removed ${what} that died: ${removed.join(', ')}`;
}
