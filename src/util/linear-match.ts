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

/**
 * The threads of one step, in priority order: parallel arrays (a program counter and where the
 * match started), allocated once per run, as a step never holds more threads than instructions.
 */
class ThreadList {
  readonly pcs: Int32Array;
  readonly starts: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.pcs = new Int32Array(capacity);
    this.starts = new Int32Array(capacity);
  }
}

/** What one run shares between its steps. */
class Machine {
  readonly seen: Uint32Array;
  readonly stack: Int32Array;
  generation = 1;

  constructor(readonly program: Program) {
    this.seen = new Uint32Array(program.length + 1);
    // Each instruction is pushed at most twice per closure (a split pushes two).
    this.stack = new Int32Array(2 * program.length + 2);
  }

  /**
   * Follows jumps, splits and assertions from `pc` at input position `at`, adding the threads that
   * wait on a character (or have matched) to `list`, in priority order. An explicit stack, not
   * recursion: a program of a million instructions must not overflow the call stack.
   */
  addThread(list: ThreadList, pc: number, start: number, input: readonly number[], at: number): void {
    const { program, seen, stack, generation } = this;
    let top = 0;
    stack[top++] = pc;
    while (top > 0) {
      const next = stack[--top] as number;
      if (next >= program.length || seen[next] === generation) continue;
      seen[next] = generation;
      const instruction = program[next] as Instruction;
      switch (instruction.op) {
        case 'jump':
          stack[top++] = instruction.to;
          break;
        case 'split':
          // Pushed last, popped first: the preferred branch is explored whole before the other.
          stack[top++] = instruction.other;
          stack[top++] = instruction.prefer;
          break;
        case 'assert':
          if (instruction.test(input, at)) stack[top++] = next + 1;
          break;
        default:
          list.pcs[list.size] = next;
          list.starts[list.size] = start;
          list.size++;
      }
    }
  }
}

/**
 * The leftmost-first match of `program` in `input` starting at or after `from` (exactly at `from`
 * when `anchored`): `[start, end)`, or null when there is none.
 */
export function searchProgram(program: Program, input: readonly number[], from = 0, anchored = false): { start: number; end: number } | null {
  const machine = new Machine(program);
  let current = new ThreadList(program.length + 1);
  let next = new ThreadList(program.length + 1);
  let found: { start: number; end: number } | null = null;
  for (let at = from; ; at++) {
    // A new attempt starting here has the lowest priority: every earlier start is further left.
    if (found === null && (!anchored || at === from)) machine.addThread(current, 0, at, input, at);
    if (current.size === 0) break;
    machine.generation++;
    next.size = 0;
    for (let t = 0; t < current.size; t++) {
      const pc = current.pcs[t] as number;
      const instruction = program[pc] as Instruction;
      if (instruction.op === 'match') {
        found = { start: current.starts[t] as number, end: at };
        // Threads after this one have lower priority: a backtracking engine would never reach them.
        break;
      }
      if (instruction.op === 'char' && at < input.length && instruction.test(input[at] as number)) {
        machine.addThread(next, pc + 1, current.starts[t] as number, input, at + 1);
      }
    }
    if (at >= input.length) break;
    [current, next] = [next, current];
  }
  return found;
}

/** Every end position `e` for which `input[from..e)` matches `program` whole (anchored at `from`), ascending. */
export function matchEnds(program: Program, input: readonly number[], from = 0): number[] {
  const machine = new Machine(program);
  let current = new ThreadList(program.length + 1);
  let next = new ThreadList(program.length + 1);
  machine.addThread(current, 0, from, input, from);
  const ends: number[] = [];
  for (let at = from; current.size > 0; at++) {
    machine.generation++;
    next.size = 0;
    let matched = false;
    for (let t = 0; t < current.size; t++) {
      const pc = current.pcs[t] as number;
      const instruction = program[pc] as Instruction;
      if (instruction.op === 'match') matched = true;
      else if (instruction.op === 'char' && at < input.length && instruction.test(input[at] as number)) {
        machine.addThread(next, pc + 1, current.starts[t] as number, input, at + 1);
      }
    }
    if (matched) ends.push(at);
    if (at >= input.length) break;
    [current, next] = [next, current];
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
