/**
 * The CLI's one error mapper: what a command let escape becomes an exit code and one line.
 *
 * Expected outcomes never get here (commands return them as values). What does is either an
 * environment or configuration problem (an unreadable CA file, an engine that stopped answering,
 * another basewatch holding a lock), which has its documented exit code and a message naming the
 * file or endpoint, or a bug, which is reported as one with its stack.
 */
import { ConfigError } from '../config/settings-file.js';
import { EngineUnreachableError } from '../engine/connect.js';
import { isEngineGone } from '../engine/engine-error.js';
import { RegistryConfigError } from '../registry/registry-failure.js';
import { FileLockTimeoutError } from '../util/file-lock.js';
import { UnreadableFileError } from '../util/read-bounded-file.js';
import { PrivatePathError } from '../util/private-path.js';
import { StateLockTimeoutError } from '../record/state-store.js';
import { TagMoveLockTimeoutError } from '../act/tag-moves/tag-move-lock.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export interface ErrorExit {
  readonly code: ExitCode;
  /** One line, without the `basewatch: ` prefix. */
  readonly message: string;
}

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** A Node system error (`EACCES`, `ENOSPC`, …) from a file system call. */
function isSystemError(error: unknown): boolean {
  const errno = error as NodeJS.ErrnoException | null;
  return error instanceof Error && typeof errno?.code === 'string' && typeof errno.syscall === 'string' && typeof errno.path === 'string';
}

/** The exit for an error a command threw, or null when it is a bug. */
export function errorExit(error: unknown): ErrorExit | null {
  if (error instanceof RegistryConfigError || error instanceof ConfigError) {
    return { code: EXIT.usage, message: oneLine(error.message) };
  }
  if (error instanceof EngineUnreachableError) {
    const tried = error.attempts.map((a) => `${a.host} (${a.source}): ${a.reason}`);
    const detail = [...tried, ...error.problems].join('; ');
    return { code: EXIT.engineUnreachable, message: `cannot reach a Docker engine${detail === '' ? '' : `: ${detail}`}` };
  }
  if (isEngineGone(error)) {
    return { code: EXIT.engineUnreachable, message: `the Docker engine stopped answering: ${oneLine(error.message)}` };
  }
  if (error instanceof PrivatePathError) return { code: EXIT.notPrivate, message: oneLine(error.message) };
  if (error instanceof StateLockTimeoutError || error instanceof TagMoveLockTimeoutError || error instanceof FileLockTimeoutError) {
    return { code: EXIT.failed, message: oneLine(error.message) };
  }
  // A local file or folder the command needed said no (permission denied on the state folder, a
  // full disk): the machine's answer, not a bug. Node's message names the path.
  if (error instanceof UnreadableFileError || isSystemError(error)) {
    return { code: EXIT.failed, message: `${oneLine((error as Error).message)}; fix it and run this again` };
  }
  return null;
}
