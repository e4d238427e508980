/**
 * A build's output, line by line, with the last lines kept: on a failure the user needs the
 * build's own error and what led to it, not "the engine said 200".
 */
import { EngineError, type EngineErrorInit } from './engine-error.js';

/** Lines kept for a failure report; callers show fewer (about 20). */
export const BUILD_LOG_KEEP = 50;

export class BuildLog {
  #partial = '';
  readonly #lines: string[] = [];
  readonly #keep: number;

  constructor(keep = BUILD_LOG_KEEP) {
    this.#keep = keep;
  }

  /** Adds a chunk of build output (`stream` text); returns the lines it completed. */
  push(text: string): string[] {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    return parts.map((line) => this.#add(line));
  }

  /** A line that arrives whole (an error message); finishes any partial line first. */
  pushLine(line: string): string[] {
    return [...this.end(), this.#add(line)];
  }

  /** Finishes the last partial line, if any. */
  end(): string[] {
    if (this.#partial === '') return [];
    const last = this.#partial;
    this.#partial = '';
    return [this.#add(last)];
  }

  tail(): string[] {
    return [...this.#lines];
  }

  #add(raw: string): string {
    // Progress bars redraw with \r: only the last drawing is what a terminal would show.
    const line = raw.replace(/\r+$/, '').split('\r').at(-1) ?? '';
    this.#lines.push(line);
    if (this.#lines.length > this.#keep) this.#lines.shift();
    return line;
  }
}

/** A build the engine ran and that failed (a RUN exited non-zero, a COPY source was missing, …). */
export class BuildError extends EngineError {
  /** The build's own error message, e.g. `The command '/bin/sh -c false' returned a non-zero code: 1`. */
  readonly buildError: string;
  /** The last lines of the build's output, the error line last. */
  readonly logTail: readonly string[];

  constructor(init: Omit<EngineErrorInit, 'detail'> & { buildError: string; logTail: readonly string[] }) {
    super({ ...init, detail: init.buildError });
    this.buildError = init.buildError;
    this.logTail = init.logTail;
  }
}

/** The image id a legacy build reports: `aux.ID`, else the `Successfully built <short id>` line. */
export function builtImageId(aux: Readonly<Record<string, unknown>> | undefined, line: string | null): string | null {
  const id = aux?.['ID'];
  if (typeof id === 'string' && id !== '') return id;
  const match = line === null ? null : /^Successfully built ([0-9a-f]{12,64})\s*$/.exec(line);
  return match?.[1] ?? null;
}
