/**
 * Which Dockerfile under the roots an image built with plain `docker build` came from. Layers
 * link such an image to its base but say nothing of its Dockerfile; its history does: one entry
 * per instruction of the built stage (and of the stages it rests on), each naming the kind of
 * instruction, a RUN's command text and a COPY/ADD's destination. Pure: data in, data out.
 *
 * What builders write (Engine 20.10 classic builder, BuildKit):
 *   classic   `/bin/sh -c #(nop)  CMD ["python" "app.py"]`, `/bin/sh -c #(nop) WORKDIR /app`,
 *             `/bin/sh -c #(nop) COPY file:<hash> in /app `, `/bin/sh -c pip install …` (RUN),
 *             `|1 VER=2 /bin/sh -c …` (RUN with build args in scope); after a SHELL the shell
 *             replaces `/bin/sh -c` in all of them.
 *   BuildKit  `RUN /bin/sh -c pip install … # buildkit`, `COPY . /app # buildkit`,
 *             `WORKDIR /app`, `CMD ["python" "app.py"]`, `ARG X=1`, `ENV K=V`.
 * A guess is only ever suggested, never acted on: the user confirms it with `basewatch link`.
 */
import { analyzeDockerfile } from '../inventory/dockerfile/analyze-dockerfile.js';
import { type DockerfileInstruction, parseDockerfile } from '../inventory/dockerfile/parse-dockerfile.js';
import { parseImageRef, repositoryName } from '../refs/image-ref.js';

/** One history entry a Dockerfile instruction leaves in the image. */
export interface BuildStep {
  /** Upper-case keyword: RUN, COPY, WORKDIR… */
  readonly keyword: string;
  /** RUN only: the command after its shell, as the history records it (`/bin/sh -c pip install …`). */
  readonly command: string | null;
  /** COPY/ADD only: the destination as written. */
  readonly destination: string | null;
}

export interface DockerfileSteps {
  readonly path: string;
  /** Normalised reference the built stage rests on (a plain build: no build args, no target). */
  readonly baseRef: string;
  /** Oldest first: the root stage's instructions, then each stage built on it, up to the built one. */
  readonly steps: readonly BuildStep[];
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];

function jsonArray(text: string): string[] | null {
  if (!text.trimStart().startsWith('[')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : null;
  } catch {
    return null;
  }
}

function toStep(instruction: DockerfileInstruction, shell: readonly string[]): BuildStep {
  const { keyword, text, args } = instruction;
  if (keyword === 'RUN') {
    // Exec form: the words joined by spaces; shell form: the shell, then the text as written.
    const exec = jsonArray(text);
    return { keyword, command: exec !== null ? exec.join(' ') : [...shell, text].join(' '), destination: null };
  }
  if (keyword === 'COPY' || keyword === 'ADD') {
    const destination = jsonArray(text)?.at(-1) ?? args.at(-1) ?? null;
    return { keyword, command: null, destination };
  }
  return { keyword, command: null, destination: null };
}

/**
 * The history a plain `docker build` of this Dockerfile leaves, or null when the file does not
 * build an image on a base image (no FROM, `FROM scratch`, an unresolvable FROM).
 */
export function dockerfileSteps(path: string, text: string): DockerfileSteps | null {
  const built = buildSteps(text);
  return built === null || built.baseRef === null ? null : { path, baseRef: built.baseRef, steps: built.steps };
}

/**
 * The history a build of this Dockerfile with these args and target leaves after its base's:
 * `baseRef` null for a stage chain that starts `FROM scratch`; null when nothing is built (no
 * FROM, an unknown target, an unresolvable FROM).
 */
export function buildSteps(
  text: string,
  options: { readonly buildArgs?: Readonly<Record<string, string>>; readonly target?: string | null } = {},
): { readonly baseRef: string | null; readonly steps: readonly BuildStep[] } | null {
  const analysis = analyzeDockerfile(text, options);
  if (analysis.targetStage === null) return null;
  const chain: number[] = [];
  let stage = analysis.stages[analysis.targetStage];
  while (stage !== undefined) {
    chain.unshift(stage.index);
    if (stage.base.kind !== 'stage') break;
    stage = analysis.stages[stage.base.stageIndex];
  }
  let baseRef: string | null = null;
  if (stage?.base.kind === 'image') {
    baseRef = analysis.uses[stage.base.useIndex]?.ref ?? null;
    if (baseRef === null) return null;
  } else if (stage?.base.kind !== 'scratch') return null;

  // Instructions of each stage: those after its FROM, up to the next FROM.
  const byStage: DockerfileInstruction[][] = [];
  for (const instruction of parseDockerfile(text).instructions) {
    if (instruction.keyword === 'FROM') byStage.push([]);
    else byStage.at(-1)?.push(instruction);
  }
  const steps: BuildStep[] = [];
  // A stage built on another inherits its shell with the rest of its config.
  let shell: readonly string[] = DEFAULT_SHELL;
  for (const index of chain) {
    for (const instruction of byStage[index] ?? []) {
      steps.push(toStep(instruction, shell));
      if (instruction.keyword === 'SHELL') shell = jsonArray(instruction.text) ?? shell;
    }
  }
  return { baseRef, steps };
}

const KEYWORD = /^([A-Z]+)(?:\s+([\s\S]*))?$/;
const KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);
const CLASSIC_NOP = /^[\s\S]*? #\(nop\)\s+([A-Z]+)(?:\s+([\s\S]*))?$/;

interface HistoryInstruction {
  readonly keyword: string;
  /** What follows the keyword; for a classic RUN, the whole entry. */
  readonly body: string;
}

/** The instruction behind one history entry (`created_by`) of either builder. */
export function readHistoryEntry(createdBy: string): HistoryInstruction {
  const buildkit = createdBy.endsWith(' # buildkit');
  const text = buildkit ? createdBy.slice(0, -' # buildkit'.length) : createdBy;
  const nop = buildkit ? null : CLASSIC_NOP.exec(text);
  if (nop !== null) return { keyword: nop[1] ?? '', body: nop[2] ?? '' };
  const keyword = KEYWORD.exec(text);
  // BuildKit writes every instruction keyword first; the classic builder writes a RUN as its
  // bare command (`/bin/sh -c …`, `|1 A=b /bin/sh -c …`), which never starts with a keyword.
  if (keyword !== null && KEYWORDS.has(keyword[1] ?? '')) return { keyword: keyword[1] ?? '', body: keyword[2] ?? '' };
  return { keyword: 'RUN', body: text };
}

function sameDestination(written: string, recorded: string): boolean {
  // A variable is expanded by the builder: anything may stand for it.
  if (written.includes('$')) return true;
  const trim = (value: string): string => (value === '/' ? value : value.replace(/\/+$/, ''));
  return trim(written) === trim(recorded);
}

function recordedDestination(body: string): string {
  // classic: `file:<hash> in /app ` (the destination may hold spaces); BuildKit: `. /app`.
  const classic = /^\S+:\S+ in ([\s\S]*?)\s*$/.exec(body);
  return classic?.[1] ?? body.trim().split(/\s+/).at(-1) ?? '';
}

function stepMatches(step: BuildStep, entry: HistoryInstruction): boolean {
  if (step.keyword !== entry.keyword) return false;
  if (step.command !== null) {
    // Build args in scope come first as `|<n> K=V …`; the command itself must match exactly.
    return entry.body === step.command || (entry.body.startsWith('|') && entry.body.endsWith(` ${step.command}`));
  }
  if (step.destination !== null) return sameDestination(step.destination, recordedDestination(entry.body));
  return true;
}

/** Whether the image's own history entries (after its base's, oldest first) are this Dockerfile's. */
export function historyMatchesSteps(ownHistory: readonly string[], steps: readonly BuildStep[]): boolean {
  if (ownHistory.length !== steps.length) return false;
  return steps.every((step, i) => stepMatches(step, readHistoryEntry(ownHistory[i] ?? '')));
}

/** Whether a Dockerfile's base is the image's base: same repository, and the same tag or pinned digest. */
export function restsOnBase(dockerfile: Pick<DockerfileSteps, 'baseRef'>, baseRefs: readonly string[], baseDigest: string | null): boolean {
  const own = parseImageRef(dockerfile.baseRef);
  if (!own.ok) return false;
  return baseRefs.some((ref) => {
    const base = parseImageRef(ref);
    if (!base.ok || repositoryName(base.ref) !== repositoryName(own.ref)) return false;
    return (own.ref.digest !== null && own.ref.digest === baseDigest) || (own.ref.tag !== null && own.ref.tag === base.ref.tag);
  });
}

export interface SuggestionInput {
  /** Names the image's base is known by: the linked reference and the base image's other tags. */
  readonly baseRefs: readonly string[];
  readonly baseDigest: string | null;
  /** The image's own history entries (`created_by`), oldest first, after the base's. */
  readonly ownHistory: readonly string[];
}

/** The one Dockerfile whose base and steps match the image; null for none, or for several. */
export function suggestDockerfile(input: SuggestionInput, dockerfiles: readonly DockerfileSteps[]): DockerfileSteps | null {
  const matches = dockerfiles.filter(
    (dockerfile) => restsOnBase(dockerfile, input.baseRefs, input.baseDigest) && historyMatchesSteps(input.ownHistory, dockerfile.steps),
  );
  return matches.length === 1 ? (matches[0] ?? null) : null;
}
