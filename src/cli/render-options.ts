import type { CliIo } from './cli-io.js';
import type { RenderOptions } from './render-check.js';
import { outputWidth } from './style.js';

/** How human output is laid out for this terminal (or 80 columns when stdout is not one). */
export function renderOptionsFor(io: CliIo, all: boolean, now: Date = new Date()): RenderOptions {
  return { width: outputWidth(io.stdout as { isTTY?: boolean; columns?: number }, io.env), all, cwd: io.cwd, now };
}
