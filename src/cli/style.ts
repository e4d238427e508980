/**
 * Terminal styling that honours NO_COLOR (https://no-color.org), FORCE_COLOR and TERM=dumb,
 * and only colours a stream that is a terminal.
 */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

export function colorEnabled(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string): string =>
    enabled && text !== '' ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

// eslint-disable-next-line no-control-regex
const STYLED_OR_SURROGATE = /[\u001b\uD800-\uDFFF]/;

export function visibleLength(text: string): number {
  // Most cells are plain: their code units are their characters (the spread costs an array per call,
  // thousands of them for a table of hundreds of images).
  if (!STYLED_OR_SURROGATE.test(text)) return text.length;
  return [...text.replace(ANSI, '')].length;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], style: Style): string[] {
  const widths = header.map((title, col) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[col] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, col) => (col === cells.length - 1 ? cell : cell + ' '.repeat((widths[col] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [style.bold(line(header)), ...rows.map(line)];
}

/**
 * The width human output is laid out for: the terminal's columns when stdout is a terminal,
 * else `COLUMNS` when set (a pager, a test), else 80.
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number }, env: Readonly<Record<string, string | undefined>>): number {
  if (stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0) return stream.columns;
  const columns = Number(env.COLUMNS);
  if (Number.isInteger(columns) && columns >= 20) return columns;
  return 80;
}

/** The visible characters of `text`: a plain one is indexed as it is, no array of its characters made. */
function visibleChars(text: string): string | string[] {
  return STYLED_OR_SURROGATE.test(text) ? [...text.replace(ANSI, '')] : text;
}

const joined = (chars: string | string[]): string => (typeof chars === 'string' ? chars : chars.join(''));

/** Drops ANSI styling and cuts to `width` visible characters, ending in "…" when cut. */
export function truncateEnd(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  const plain = visibleChars(text);
  return width <= 1 ? joined(plain.slice(0, width)) : `${joined(plain.slice(0, width - 1))}…`;
}

/** Cuts the middle out, keeping both ends: names and paths differ at their ends. */
export function truncateMiddle(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  const plain = visibleChars(text);
  if (width <= 1) return joined(plain.slice(0, width));
  const tail = Math.floor((width - 1) / 2);
  const head = width - 1 - tail;
  return `${joined(plain.slice(0, head))}…${joined(plain.slice(plain.length - tail))}`;
}

/**
 * Words onto lines of at most `width` visible characters; a longer word is broken, not cut, or
 * with `keepWords` left whole on a line of its own (a path or a command to copy).
 */
export function wrapWords(text: string, width: number, keepWords = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (visibleLength(candidate) <= width) line = candidate;
    else {
      if (line !== '') lines.push(line);
      line = word;
      while (!keepWords && visibleLength(line) > width) {
        const plain = [...line.replace(ANSI, '')];
        lines.push(plain.slice(0, width).join(''));
        line = plain.slice(width).join('');
      }
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * Every line of `text` wider than `width` wrapped at its spaces, the spacing it had kept (a table
 * row stays aligned up to its cut), continuation lines indented two more than the line; a word
 * longer than the room (a path, a command to copy) is kept whole. A line readable on an
 * 80-column terminal instead of wrapped at the terminal's edge. `width` null: unchanged.
 */
export function wrapLines(text: string, width: number | null): string {
  if (width === null) return text;
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width))
    .join('\n');
}

function wrapLine(line: string, width: number): string[] {
  if (visibleLength(line) <= width) return [line];
  const indent = ' '.repeat(line.length - line.trimStart().length + 2);
  // Styled text: positions in the string are not columns; wrapped by words.
  if (line.replace(ANSI, '') !== line) {
    const [first = '', ...rest] = wrapWords(line.trimStart(), Math.max(10, width - indent.length + 2), true);
    return [`${indent.slice(2)}${first}`, ...(rest.length === 0 ? [] : wrapWords(rest.join(' '), Math.max(10, width - indent.length), true).map((part) => `${indent}${part}`))];
  }
  const out: string[] = [];
  let rest = line;
  let lead = line.length - line.trimStart().length;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= lead) cut = rest.indexOf(' ', width);
    if (cut <= lead) break;
    out.push(rest.slice(0, cut).trimEnd());
    rest = `${indent}${rest.slice(cut).trimStart()}`;
    lead = indent.length;
  }
  out.push(rest);
  return out;
}

/**
 * The width to wrap human prose to: the terminal's when stdout is one, else \`COLUMNS\` when set;
 * null when neither (a pipe or a log keeps each message on one line, for grep).
 */
export function wrapWidth(stream: { isTTY?: boolean; columns?: number }, env: Readonly<Record<string, string | undefined>>): number | null {
  if (stream.isTTY === true || (env.COLUMNS !== undefined && env.COLUMNS !== '')) return outputWidth(stream, env);
  return null;
}

export interface TableColumn {
  readonly title: string;
  /** Lower goes first when the table is too wide: 0 is never dropped. */
  readonly keep: number;
  /** Narrowest it may be cut to (with "…"); absent: never cut. */
  readonly minWidth?: number;
  readonly cut?: 'end' | 'middle';
  /**
   * When deciding which columns to drop, count this column as at most this wide: a long name
   * may be cut down to it rather than cost the table a column.
   */
  readonly softMax?: number;
  /** Higher is cut first (all the way to its `minWidth`) when several may be cut; default 0. */
  readonly cutOrder?: number;
}

/**
 * A table that fits `width` columns: drops the columns that matter least (highest `keep`) until
 * the rest fits (long cells counted at their column's `softMax`), then cuts the widest cuttable cells, down to their column's `minWidth`
 * at most (so a table of long names may still be wider). Returns the
 * lines (header first) and the titles of the columns it dropped.
 */
export function fitTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
  width: number,
  style: Style,
  indent = 0,
): { lines: string[]; dropped: string[] } {
  const natural = columns.map((column, col) => Math.max(visibleLength(column.title), ...rows.map((row) => visibleLength(row[col] ?? ''))));
  let shown = columns.map((_, col) => col);
  const total = (widths: readonly number[]): number => indent + shown.reduce((sum, col) => sum + (widths[col] ?? 0), 0) + 2 * (shown.length - 1);
  const widths = [...natural];
  const minimumOf = (col: number): number => {
    const column = columns[col] as TableColumn;
    return column.minWidth === undefined ? (natural[col] ?? 0) : Math.min(natural[col] ?? 0, Math.max(column.minWidth, visibleLength(column.title)));
  };
  // Drop the columns that matter least until the rest fits (long names counted at their
  // softMax); only then cut cells.
  const soft = natural.map((w, col) => Math.min(w, (columns[col] as TableColumn).softMax ?? w));
  while (total(soft) > width) {
    const drop = shown
      .filter((col) => (columns[col] as TableColumn).keep > 0)
      .sort((a, b) => (columns[b] as TableColumn).keep - (columns[a] as TableColumn).keep)[0];
    if (drop === undefined) break;
    shown = shown.filter((col) => col !== drop);
  }
  // Then cut, one character at a time, the widest of the columns cut first.
  while (total(widths) > width) {
    const candidates = shown.filter((col) => (widths[col] ?? 0) > minimumOf(col));
    if (candidates.length === 0) break;
    const order = (col: number): number => (columns[col] as TableColumn).cutOrder ?? 0;
    const first = Math.max(...candidates.map(order));
    const widest = candidates.filter((col) => order(col) === first).reduce((a, b) => ((widths[b] ?? 0) > (widths[a] ?? 0) ? b : a));
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  const cell = (text: string, col: number): string => {
    const limit = widths[col] ?? 0;
    if (visibleLength(text) <= limit) return text;
    return (columns[col] as TableColumn).cut === 'middle' ? truncateMiddle(text, limit) : truncateEnd(text, limit);
  };
  const line = (cells: readonly string[]): string =>
    shown
      .map((col, i) => {
        const text = cell(cells[col] ?? '', col);
        return i === shown.length - 1 ? text : text + ' '.repeat(Math.max(0, (widths[col] ?? 0) - visibleLength(text)));
      })
      .join('  ')
      .trimEnd();
  const pad = ' '.repeat(indent);
  return {
    lines: [pad + style.bold(line(columns.map((c) => c.title))), ...rows.map((row) => pad + line(row))],
    dropped: columns.filter((_, col) => !shown.includes(col)).map((c) => c.title),
  };
}
