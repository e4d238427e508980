/**
 * A matcher that runs in time linear in its input: a Pike VM (Thompson's construction, threads
 * kept in priority order, as RE2 and Go's regexp run). A backtracking engine (JavaScript's
 * RegExp) takes exponential time on `*?*?*?…b` or `**\/**\/…` against a long name (issue 16:
 * 2.7 s per path for one `.dockerignore`, hours for a Dockerfile's `${v/…/…}`); this takes
 * O(input × program) steps and O(program) memory, whatever the pattern.
 *
 * Callers compile their own syntax (a `.dockerignore` pattern, a shell glob) into a
 * {@link Program}; this module only runs programs. Matching is leftmost-first with greedy
 * repetition preferred, the way a backtracking engine (and Go's regexp) chooses a match, so a
 * caller gets the same answer it got from RegExp, only without the blow-up. Pure.
 */

/** One instruction; jumps are indexes into the program. */
export type Instruction =
  /** Consumes one input unit (a code point or a UTF-16 unit: the caller's choice) that passes `test`. */
  | { readonly op: 'char'; readonly test: (unit: number) => boolean }
  /** Goes on at `prefer` and, with lower priority, at `other`. */
  | { readonly op: 'split'; readonly prefer: number; readonly other: number }
  | { readonly op: 'jump'; readonly to: number }
  /** Goes on only where `test` holds for the position (an anchor, a word boundary); consumes nothing. */
  | { readonly op: 'assert'; readonly test: (input: readonly number[], at: number) => boolean }
  | { readonly op: 'match' };

export type Program = readonly Instruction[];

interface Thread {
  readonly pc: number;
  readonly start: number;
}

/**
 * Follows jumps, splits and assertions from `pc` at input position `at`, adding the threads that
 * wait on a character (or have matched) to `list`, in priority order. An explicit stack, not
 * recursion: a program of a million instructions must not overflow the call stack.
 */
function addThread(program: Program, list: Thread[], seen: Uint32Array, generation: number, pc: number, start: number, input: readonly number[], at: number): void {
  const stack = [pc];
  while (stack.length > 0) {
    const next = stack.pop() as number;
    if (next >= program.length || seen[next] === generation) continue;
    seen[next] = generation;
    const instruction = program[next] as Instruction;
    switch (instruction.op) {
      case 'jump':
        stack.push(instruction.to);
        break;
      case 'split':
        // Pushed last, popped first: the preferred branch is explored whole before the other.
        stack.push(instruction.other, instruction.prefer);
        break;
      case 'assert':
        if (instruction.test(input, at)) stack.push(next + 1);
        break;
      default:
        list.push({ pc: next, start });
    }
  }
}

/**
 * The leftmost-first match of `program` in `input` starting at or after `from` (exactly at `from`
 * when `anchored`): `[start, end)`, or null when there is none.
 */
export function searchProgram(program: Program, input: readonly number[], from = 0, anchored = false): { start: number; end: number } | null {
  const seen = new Uint32Array(program.length + 1);
  let generation = 1;
  let current: Thread[] = [];
  let found: { start: number; end: number } | null = null;
  for (let at = from; ; at++) {
    // A new attempt starting here has the lowest priority: every earlier start is further left.
    if (found === null && (!anchored || at === from)) addThread(program, current, seen, generation, 0, at, input, at);
    if (current.length === 0) break;
    generation++;
    const next: Thread[] = [];
    for (const thread of current) {
      const instruction = program[thread.pc] as Instruction;
      if (instruction.op === 'match') {
        found = { start: thread.start, end: at };
        // Threads after this one have lower priority: a backtracking engine would never reach them.
        break;
      }
      if (instruction.op === 'char' && at < input.length && instruction.test(input[at] as number)) {
        addThread(program, next, seen, generation, thread.pc + 1, thread.start, input, at + 1);
      }
    }
    if (at >= input.length) break;
    current = next;
  }
  return found;
}

/** Every end position `e` for which `input[from..e)` matches `program` whole (anchored at `from`), ascending. */
export function matchEnds(program: Program, input: readonly number[], from = 0): number[] {
  const seen = new Uint32Array(program.length + 1);
  let generation = 1;
  let current: Thread[] = [];
  addThread(program, current, seen, generation, 0, from, input, from);
  const ends: number[] = [];
  for (let at = from; current.length > 0; at++) {
    generation++;
    const next: Thread[] = [];
    let matched = false;
    for (const thread of current) {
      const instruction = program[thread.pc] as Instruction;
      if (instruction.op === 'match') matched = true;
      else if (instruction.op === 'char' && at < input.length && instruction.test(input[at] as number)) {
        addThread(program, next, seen, generation, thread.pc + 1, thread.start, input, at + 1);
      }
    }
    if (matched) ends.push(at);
    if (at >= input.length) break;
    current = next;
  }
  return ends;
}

/** A program piece: instructions whose jumps are relative to the piece's own start, see {@link sequence}. */
export type Piece = readonly Instruction[];

function shift(instruction: Instruction, by: number): Instruction {
  switch (instruction.op) {
    case 'split':
      return { op: 'split', prefer: instruction.prefer + by, other: instruction.other + by };
    case 'jump':
      return { op: 'jump', to: instruction.to + by };
    default:
      return instruction;
  }
}

/** Pieces one after the other. */
export function sequence(pieces: readonly Piece[]): Piece {
  const out: Instruction[] = [];
  for (const piece of pieces) {
    const base = out.length;
    for (const instruction of piece) out.push(shift(instruction, base));
  }
  return out;
}

/** `piece*`, greedy. */
export function star(piece: Piece): Piece {
  // 0: split(1, end); 1..n: piece; n+1: jump 0; end.
  const end = piece.length + 2;
  return [{ op: 'split', prefer: 1, other: end }, ...piece.map((i) => shift(i, 1)), { op: 'jump', to: 0 }];
}

/** `piece?`, greedy. */
export function optional(piece: Piece): Piece {
  return [{ op: 'split', prefer: 1, other: piece.length + 1 }, ...piece.map((i) => shift(i, 1))];
}

/** `a|b|…`, leftmost preferred. */
export function alternation(pieces: readonly Piece[]): Piece {
  if (pieces.length === 1) return pieces[0] as Piece;
  const [first, ...rest] = pieces as [Piece, ...Piece[]];
  const restPiece = alternation(rest);
  // 0: split(1, k+2); 1..k: first; k+1: jump end; k+2…: rest.
  const k = first.length;
  const end = k + 2 + restPiece.length;
  return [{ op: 'split', prefer: 1, other: k + 2 }, ...first.map((i) => shift(i, 1)), { op: 'jump', to: end }, ...restPiece.map((i) => shift(i, k + 2))];
}

/** A piece made whole: the match instruction appended. */
export function program(piece: Piece): Program {
  return [...piece, { op: 'match' }];
}
