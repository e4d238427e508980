/** Exit codes of every command; documented in the README. Scripts depend on them: never renumber. */
export const EXIT = {
  ok: 0,
  /** `check --exit-code`: something is outdated. */
  outdated: 1,
  /** Bad command line or configuration. */
  usage: 2,
  /** No Docker engine answered. */
  engineUnreachable: 3,
  /** The command ran (`update`: and acted), but some inputs could not be read (a broken Dockerfile, an unreadable folder). */
  partial: 4,
  /** Some bases could not be checked upstream (registry down, access denied, rate limit, …); see each reason. `update`: after acting on the rest. */
  upstreamFailed: 5,
  /** rebase: the image is not safely rebaseable (the reasons say why); rollback: nothing to undo. */
  refused: 6,
  /**
   * rebase/rebuild/rollback/update failed (registry, engine, verification), or another basewatch
   * held the state file or the tag moves for the whole wait (the message names its pid); nothing
   * was changed (`check`: its report is printed but not recorded).
   */
  failed: 7,
  /**
   * One of basewatch's own folders, files or its control socket belongs to another user, or others
   * may write to it: nothing was done (the message names it and what to do).
   */
  notPrivate: 8,
  /** A bug in basewatch. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
