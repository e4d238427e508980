/**
 * Digest pins: rewrites each external image a Dockerfile pulls (`FROM`, `COPY --from`) as
 * `image:tag@sha256:<digest of the tag now>`, replacing only the image text. Comments, spacing,
 * line endings, a BOM, flags and stage names stay byte for byte. An image given through an ARG
 * (`ARG BASE=python:3.12` + `FROM ${BASE}`) is pinned in the ARG's default. A pin that already
 * names the tag's current digest is left alone, so pinning twice changes nothing; a stale pin
 * gets the current digest.
 *
 * planPins and applyPinEdits are pure; pinDockerfile adds the digest lookups.
 */
import { analyzeDockerfile, type DockerfileImageUse } from '../../inventory/dockerfile/analyze-dockerfile.js';
import { parseDockerfile, type DockerfileInstruction } from '../../inventory/dockerfile/parse-dockerfile.js';
import { type ImageRef, formatImageRef, parseImageRef } from '../../refs/image-ref.js';
import { instructionWords, lineOf, unquoteSpan } from './instruction-words.js';

export type PinResolution = { readonly ok: true; readonly digest: string } | { readonly ok: false; readonly message: string };

/** The digest a tag points at now (the index digest for a multi-arch tag, as `docker pull` records). */
export type PinResolver = (ref: ImageRef) => Promise<PinResolution>;

/** One image text in the file that can carry a pin. */
export interface PinTarget {
  /** Where the image text is (inside quotes, when quoted). */
  readonly start: number;
  readonly end: number;
  /** 1-based line of that text (the ARG's line for an ARG-fed image). */
  readonly line: number;
  /** The image text as it is in the file, e.g. `python:3.12-slim@sha256:…`. */
  readonly text: string;
  /** The tag to follow, normalised: `docker.io/library/python:3.12-slim`. */
  readonly image: ImageRef;
  /** The digest pinned now, or null. */
  readonly pinned: string | null;
  /** Lines of the FROM/COPY instructions that use it. */
  readonly usedOn: readonly number[];
  readonly via: 'from' | 'copy-from' | 'arg';
}

export interface PinProblem {
  /** 1-based; 0 for the file as a whole. */
  readonly line: number;
  readonly message: string;
  /** unpinnable: the text cannot be rewritten in place; lookup: the registry did not answer; file: unreadable or unwritable. */
  readonly kind: 'unpinnable' | 'lookup' | 'file' | 'skipped';
}

export interface PinChange {
  readonly line: number;
  /** Normalised tag the pin follows. */
  readonly image: string;
  readonly from: string;
  readonly to: string;
  /** The digest of a stale pin that was replaced; null when the image was not pinned. */
  readonly previous: string | null;
  readonly via: PinTarget['via'];
}

export interface PinPlan {
  readonly targets: PinTarget[];
  /** Images that cannot be pinned in place, and why. */
  readonly problems: PinProblem[];
  /** Images left alone on purpose (a digest without a tag: there is no tag to follow). */
  readonly skipped: PinProblem[];
}

export interface PinResult extends PinPlan {
  readonly content: string;
  readonly changes: PinChange[];
}

const SINGLE_VARIABLE = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;

interface Declaration {
  readonly line: number;
  readonly hasValue: boolean;
}

/** The ARG that gives `name` its value for a use: the stage's own declaration, else the global one. */
function declaringArg(name: string, use: DockerfileImageUse, instructions: readonly DockerfileInstruction[]): Declaration | null {
  const firstFrom = instructions.findIndex((instruction) => instruction.keyword === 'FROM');
  const declarations = (list: readonly DockerfileInstruction[]): Declaration[] =>
    list.flatMap((instruction) =>
      instruction.keyword !== 'ARG'
        ? []
        : instruction.properties.filter((property) => property.name === name).map((property) => ({ line: instruction.line, hasValue: property.value !== null })),
    );
  const global = declarations(firstFrom < 0 ? instructions : instructions.slice(0, firstFrom)).at(-1) ?? null;
  if (use.kind === 'from') return global;
  // COPY --from sees ARGs declared in its stage; a declaration without a value takes the global default.
  const stageStart = instructions.reduce((found, instruction, index) => (instruction.keyword === 'FROM' && instruction.line <= use.line ? index : found), -1);
  const inStage = declarations(instructions.slice(stageStart + 1).filter((instruction) => instruction.line < use.line)).at(-1);
  if (inStage === undefined) return null;
  return inStage.hasValue ? inStage : global;
}

/** The image text a use stands for, as a span of the file, or a problem. */
function locate(content: string, escapeChar: string, use: DockerfileImageUse, instructions: readonly DockerfileInstruction[]): { start: number; end: number; via: PinTarget['via'] } | string {
  const written = use.written.replace(/^(["'])(.*)\1$/, '$2');
  const variable = SINGLE_VARIABLE.exec(written);
  if (written.includes('$') && variable === null) {
    return `"${use.written}" is assembled from ARGs; write the whole image in one ARG default (ARG BASE=${use.expanded}) or in the instruction to pin it`;
  }
  let line = use.line;
  let via: PinTarget['via'] = use.kind === 'from' ? 'from' : 'copy-from';
  let name: string | null = null;
  if (variable !== null) {
    name = variable[1] ?? variable[2] ?? '';
    const declaration = declaringArg(name, use, instructions);
    if (declaration === null || !declaration.hasValue) return `${name} has no default in an ARG line, so there is nothing to pin`;
    line = declaration.line;
    via = 'arg';
  }
  const words = instructionWords(content, line, escapeChar).slice(1);
  let span: { start: number; end: number } | null = null;
  if (via === 'arg') {
    const word = words.filter((candidate) => candidate.text.startsWith(`${name}=`)).at(-1);
    if (word !== undefined) span = { start: word.start + (name?.length ?? 0) + 1, end: word.end };
  } else if (via === 'from') {
    const word = words.find((candidate) => !candidate.text.startsWith('--'));
    if (word !== undefined) span = { start: word.start, end: word.end };
  } else {
    const word = words.find((candidate) => candidate.text.startsWith('--from=') && candidate.text.slice('--from='.length) === use.written);
    if (word !== undefined) span = { start: word.start + '--from='.length, end: word.end };
  }
  if (span === null) return `cannot find "${use.written}" in the ${via === 'arg' ? `ARG ${name}` : 'instruction'} text`;
  const inner = unquoteSpan(content, span.start, span.end);
  if (content.slice(inner.start, inner.end) !== use.expanded) {
    // Escapes, a line break inside the name, or an ARG default built from other ARGs.
    return `"${content.slice(span.start, span.end)}" on line ${lineOf(content, span.start)} is not plain image text (it expands to ${use.expanded}); pin it by hand`;
  }
  return { ...inner, via };
}

/** Finds every pinnable image text; pure. Stage references, `scratch` and `RUN --mount` images are not targets. */
export function planPins(content: string): PinPlan {
  const analysis = analyzeDockerfile(content);
  const { escapeChar, instructions } = parseDockerfile(content);
  const byStart = new Map<number, PinTarget>();
  const problems: PinProblem[] = [];
  const skipped: PinProblem[] = [];
  for (const use of analysis.uses) {
    if (use.kind === 'mount-from' || use.ref === null) continue;
    const located = locate(content, escapeChar, use, instructions);
    if (typeof located === 'string') {
      problems.push({ line: use.line, message: located, kind: 'unpinnable' });
      continue;
    }
    const existing = byStart.get(located.start);
    if (existing !== undefined) {
      byStart.set(located.start, { ...existing, usedOn: [...existing.usedOn, use.line] });
      continue;
    }
    const text = content.slice(located.start, located.end);
    const parsed = parseImageRef(text);
    if (!parsed.ok) continue; // the analyzer already reported it
    if (parsed.ref.tag === null) {
      skipped.push({ line: lineOf(content, located.start), message: `${text} is pinned to a digest without a tag: there is no tag to follow`, kind: 'skipped' });
      continue;
    }
    byStart.set(located.start, {
      start: located.start,
      end: located.end,
      line: lineOf(content, located.start),
      text,
      image: { ...parsed.ref, digest: null },
      pinned: parsed.ref.digest,
      usedOn: [use.line],
      via: located.via,
    });
  }
  const targets = [...byStart.values()].sort((a, b) => a.start - b.start);
  return { targets, problems, skipped };
}

/** `python` + digest → `python:latest@sha256:…`; `python:3.12@sha256:old` → `python:3.12@sha256:new`. */
export function pinnedText(text: string, digest: string): string {
  const name = text.replace(/@.*$/, '');
  const hasTag = name.lastIndexOf(':') > name.lastIndexOf('/');
  return `${name}${hasTag ? '' : ':latest'}@${digest}`;
}

/** Replaces spans (non-overlapping) in one pass; pure. */
export function applyPinEdits(content: string, edits: ReadonlyArray<{ start: number; end: number; text: string }>): string {
  let out = '';
  let at = 0;
  for (const edit of [...edits].sort((a, b) => a.start - b.start)) {
    out += content.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + content.slice(at);
}

export interface PinOptions {
  /** Only move pins that exist (the daemon's `pin` policy); unpinned images stay as written. Default false. */
  readonly onlyPinned?: boolean;
}

/** Pins every external image to its tag's current digest; each distinct tag is looked up once. */
export async function pinDockerfile(content: string, resolve: PinResolver, options: PinOptions = {}): Promise<PinResult> {
  const full = planPins(content);
  const plan = options.onlyPinned === true ? { ...full, targets: full.targets.filter((target) => target.pinned !== null) } : full;
  const lookups = new Map<string, Promise<PinResolution>>();
  const resolutions = await Promise.all(
    plan.targets.map((target) => {
      const key = formatImageRef(target.image);
      let lookup = lookups.get(key);
      if (lookup === undefined) {
        lookup = resolve(target.image);
        lookups.set(key, lookup);
      }
      return lookup;
    }),
  );
  const problems = [...plan.problems];
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const changes: PinChange[] = [];
  plan.targets.forEach((target, index) => {
    const resolution = resolutions[index];
    if (resolution === undefined) return;
    if (!resolution.ok) {
      problems.push({ line: target.line, message: `cannot pin ${target.text}: ${resolution.message}`, kind: 'lookup' });
      return;
    }
    if (resolution.digest === target.pinned) return;
    const text = pinnedText(target.text, resolution.digest);
    edits.push({ start: target.start, end: target.end, text });
    changes.push({ line: target.line, image: formatImageRef(target.image), from: target.text, to: text, previous: target.pinned, via: target.via });
  });
  problems.sort((a, b) => a.line - b.line);
  return { content: applyPinEdits(content, edits), changes, problems, targets: plan.targets, skipped: plan.skipped };
}
