/**
 * The error contract of the act step (rebase, rebuild, pin, rollback).
 *
 * An act operation returns its expected outcomes as values: refused, skipped, or failed with a
 * reason. A failure is expected when the world said no: the engine answered with an error, an
 * archive or build went wrong, the disk is full, another basewatch held the tag moves. Two kinds
 * are not outcomes and are thrown on: an engine that is gone (the CLI's error mapper gives it its
 * exit code and one line; nothing later in the command could reach it either), and bugs (a
 * TypeError and its kind), which must reach the user as bugs, not hide as "failed".
 */
import { ArchiveError } from '../archive/archive-error.js';
import { SpoolError } from '../archive/tar-io.js';
import { EngineError, isEngineGone } from '../engine/engine-error.js';
import { IgnorePatternError } from '../engine/ignore-rules.js';
import { FileLockTimeoutError } from '../util/file-lock.js';
import { UnreadableFileError } from '../util/read-bounded-file.js';
import { TagMoveLockTimeoutError } from './tag-moves/tag-move-lock.js';

/** A Node system error (`ENOSPC`, `EACCES`, …): the machine said no. */
function isSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** The reason to report for an expected failure; null when the error must be thrown on. */
export function actFailureReason(error: unknown): string | null {
  if (isEngineGone(error)) return null;
  const expected =
    error instanceof EngineError ||
    error instanceof ArchiveError ||
    error instanceof SpoolError ||
    error instanceof IgnorePatternError ||
    error instanceof UnreadableFileError ||
    error instanceof TagMoveLockTimeoutError ||
    error instanceof FileLockTimeoutError ||
    isSystemError(error);
  return expected ? (error as Error).message : null;
}
