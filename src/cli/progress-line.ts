/**
 * The one progress line a command shows on stderr while it works: rewritten in place, never
 * wider than the terminal (a wrapped line cannot be rewritten: it leaves debris above), cleared
 * when the work is done. Only when a person watches stderr and stdout is not JSON.
 */
import type { CliIo } from './cli-io.js';

/** Carriage return, then erase to the end of the line: the line is rewritten from its start. */
export const REWRITE = '\r\u001b[K';

export interface ProgressLine {
  update(message: string): void;
  done(): void;
}

/**
 * `text` cut to fit `columns` with room for the cursor: a line that fills the last column makes
 * some terminals wrap, and the next rewrite then leaves the old line behind.
 */
export function fitLine(text: string, columns: number): string {
  const room = Math.max(1, columns - 1);
  const chars = Array.from(text.replace(/[\r\n\t]+/g, ' '));
  if (chars.length <= room) return chars.join('');
  return `${chars.slice(0, room - 1).join('')}…`;
}

/** The terminal's width: what the tty says, else COLUMNS, else 80. */
export function terminalColumns(io: CliIo): number {
  const columns = (io.stderr as { columns?: number }).columns;
  if (typeof columns === 'number' && columns > 0) return columns;
  const fromEnv = Number.parseInt(io.env['COLUMNS'] ?? '', 10);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80;
}

export function progressLine(io: CliIo, json: boolean): ProgressLine {
  const live = io.stderr.isTTY === true && !json;
  let shown = '';
  return {
    update(message) {
      if (!live) return;
      const line = fitLine(message, terminalColumns(io));
      // Counts repeat (a byte count rounded to MB): the terminal gets only what changed.
      if (line === shown) return;
      io.stderr.write(`${REWRITE}${line}`);
      shown = line;
    },
    done() {
      if (shown !== '') io.stderr.write(REWRITE);
      shown = '';
    },
  };
}

