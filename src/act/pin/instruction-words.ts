/**
 * Where each word of one Dockerfile instruction sits in the file, as string offsets, so the pin
 * rewriter can replace exactly the image text and leave every other byte alone. The analyzer
 * (dockerfile-ast) says which instruction and line; it does not give offsets of flag values or
 * ARG defaults, so this reads the instruction's raw text again with BuildKit's lexical rules:
 * words split on unquoted blanks, `<escape><newline>` continues the line, and blank or comment
 * lines inside a continuation are dropped. Pure.
 */

export interface RawWord {
  /** Offset of the first character. */
  readonly start: number;
  /** Offset after the last character. */
  readonly end: number;
  /** The file's text between start and end (continuations included, if a word spans one). */
  readonly text: string;
}

/** Offset where 1-based `line` starts; a leading BOM is not part of line 1's text. */
export function lineStart(content: string, line: number): number | null {
  let offset = content.startsWith('\uFEFF') ? 1 : 0;
  for (let current = 1; current < line; current++) {
    const next = content.indexOf('\n', offset);
    if (next < 0) return null;
    offset = next + 1;
  }
  return offset;
}

/** 1-based line of an offset. */
export function lineOf(content: string, offset: number): number {
  let line = 1;
  for (let i = content.indexOf('\n'); i >= 0 && i < offset; i = content.indexOf('\n', i + 1)) line++;
  return line;
}

const isBlank = (ch: string | undefined): boolean => ch === ' ' || ch === '\t';

/**
 * If an escape at `at` starts a line continuation (escape, blanks, optional CR, LF), the offset
 * after it and after any blank or comment lines that follow; else null.
 */
function continuationEnd(content: string, at: number): number | null {
  let i = at + 1;
  while (isBlank(content[i])) i++;
  if (content[i] === '\r') i++;
  if (content[i] !== '\n') return null;
  i++;
  // BuildKit drops empty lines and comment lines inside a continued instruction.
  while (i < content.length) {
    let j = i;
    while (isBlank(content[j])) j++;
    if (content[j] === '#') {
      const eol = content.indexOf('\n', j);
      i = eol < 0 ? content.length : eol + 1;
    } else if (content[j] === '\n' || (content[j] === '\r' && content[j + 1] === '\n')) {
      i = content[j] === '\n' ? j + 1 : j + 2;
    } else {
      break;
    }
  }
  return i;
}

/** The words of the instruction starting on `line` (the keyword first), with their offsets. */
export function instructionWords(content: string, line: number, escapeChar: string): RawWord[] {
  const start = lineStart(content, line);
  if (start === null) return [];
  const words: RawWord[] = [];
  let wordStart: number | null = null;
  let quote: string | null = null;
  const close = (end: number): void => {
    if (wordStart !== null) words.push({ start: wordStart, end, text: content.slice(wordStart, end) });
    wordStart = null;
  };
  let i = start;
  while (i < content.length) {
    const ch = content[i] as string;
    if (ch === escapeChar) {
      const after = continuationEnd(content, i);
      if (after !== null) {
        // BuildKit joins the lines with nothing between: a word broken there stays one word
        // (its raw text then differs from its value, and the caller refuses to edit it).
        i = after;
        continue;
      }
      wordStart ??= i;
      i += 2; // the escaped character belongs to the word
      continue;
    }
    if (ch === '\n' || (ch === '\r' && content[i + 1] === '\n')) {
      if (quote === null) break;
    }
    if (quote !== null) {
      if (ch === quote) quote = null;
      i++;
      continue;
    }
    if (isBlank(ch) || ch === '\r') {
      close(i);
      i++;
      continue;
    }
    wordStart ??= i;
    if (ch === '"' || ch === "'") quote = ch;
    i++;
  }
  close(Math.min(i, content.length));
  return words;
}

/** The span inside one pair of surrounding quotes, or the span itself when unquoted. */
export function unquoteSpan(content: string, start: number, end: number): { start: number; end: number } {
  const first = content[start];
  if (end - start >= 2 && (first === '"' || first === "'") && content[end - 1] === first) return { start: start + 1, end: end - 1 };
  return { start, end };
}
