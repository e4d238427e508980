/**
 * What a killed basewatch run can leave behind: a tag move half done (its journal) and the
 * temp folders of a rebase. Every command and every daemon cycle calls this first, before its
 * own work, and says what it did.
 */
import type { EngineClient } from '../../engine/docker-engine.js';
import { isEngineGone } from '../../engine/engine-error.js';
import { removeDeadRunTempFolders } from './dead-run-folders.js';
import { recoverTagMove } from './recover-tag-move.js';

export { removeDeadRunTempFolders, tempFolder } from './dead-run-folders.js';

/**
 * Removes the temp folders of runs whose process is gone and, when there is an engine, finishes
 * an interrupted tag move. Returns one line per thing done, for the command to show as a
 * warning. A failure to finish the move is such a line too (the command goes on); an engine
 * that stopped answering is thrown, as everywhere.
 */
export async function finishLeftovers(engine: EngineClient | null, stateDir: string): Promise<string[]> {
  const said: string[] = [];
  const removed = await removeDeadRunTempFolders(stateDir);
  if (removed !== null) said.push(removed);
  if (engine === null) return said;
  const recovered = await recoverTagMove(engine, stateDir).catch((error: unknown) => {
    if (isEngineGone(error)) throw error;
    return `could not finish a tag move an earlier run left half done: ${error instanceof Error ? error.message : String(error)}`;
  });
  if (recovered !== null) said.push(recovered);
  return said;
}
