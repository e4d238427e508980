/**
 * Crash-test hook: with BASEWATCH_FAILPOINT=<name> in the environment, the process kills itself
 * with SIGKILL when it reaches that point, exactly as `kill -9` would. The tests use it to prove
 * that a crash at any step leaves every tag on a complete image. Without the variable it costs
 * one environment lookup.
 *
 * With BASEWATCH_FAILPOINT_PAUSE=<file> as well, the process pauses there instead: it writes its
 * pid to that file and waits, doing nothing else, until the file is removed. The tests use it to
 * change the world at that very step (re-point a tag while a rebase is under way).
 */
import { existsSync, writeFileSync } from 'node:fs';

export type FailpointName =
  | 'rebase:after-export'
  | 'rebase:after-pull'
  | 'rebase:after-load'
  | 'rebuild:after-build'
  | 'tags:after-keep-tag'
  | 'tags:after-first-move'
  | 'update:before-act';

export function failpoint(name: FailpointName): void {
  if (process.env.BASEWATCH_FAILPOINT !== name) return;
  const pauseFile = process.env.BASEWATCH_FAILPOINT_PAUSE;
  if (pauseFile === undefined || pauseFile === '') {
    process.kill(process.pid, 'SIGKILL');
    return;
  }
  writeFileSync(pauseFile, String(process.pid));
  // Blocks the event loop on purpose: nothing of this run may go on while the test acts.
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while (existsSync(pauseFile)) Atomics.wait(sleeper, 0, 0, 50);
}
