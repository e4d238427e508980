/**
 * Crash-test hook: with BASEWATCH_FAILPOINT=<name> in the environment, the process kills itself
 * with SIGKILL when it reaches that point, exactly as `kill -9` would. The tests use it to prove
 * that a crash at any step leaves every tag on a complete image. Without the variable it costs
 * one environment lookup.
 */
export type FailpointName = 'rebase:after-export' | 'rebase:after-pull' | 'rebase:after-load' | 'tags:after-keep-tag' | 'tags:after-first-move';

export function failpoint(name: FailpointName): void {
  if (process.env.BASEWATCH_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
