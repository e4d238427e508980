/**
 * Finds every image a Dockerfile pulls (FROM, COPY --from, RUN --mount=from=) with BuildKit's
 * semantics for ARG scoping, variable expansion and stage references, and which FROM the
 * built (target) stage ultimately rests on. Pure: text and options in, data out.
 */
import { formatImageRef, parseImageRef } from '../../refs/image-ref.js';
import { GlobalScope, StageScope, shownValue } from './build-scope.js';
import { expandWord } from './expand-word.js';
import type { VariableLookup } from './expand-word.js';
import { mountFromOption, parseDockerfile } from './parse-dockerfile.js';
import type { DockerfileInstruction } from './parse-dockerfile.js';
import { type PlatformSpec, hostPlatform } from '../../refs/platform.js';
import { platformArgs } from './platform-args.js';


export type ImageUseKind = 'from' | 'copy-from' | 'mount-from';

export interface DockerfileImageUse {
  kind: ImageUseKind;
  /** Image text as written, before ARG expansion, e.g. `${BASE}:${TAG}`. */
  written: string;
  /** After ARG expansion and quote removal, e.g. `python:3.12-slim`. */
  expanded: string;
  /** Normalised (`docker.io/library/python:3.12-slim[@sha256:…]`); null when invalid (an error then exists). */
  ref: string | null;
  /** `sha256:…` when the reference carries a digest. */
  pinned: string | null;
  /** 1-based line of the instruction's start. */
  line: number;
  /** AS-name (as written) of the stage containing this use; null when unnamed. */
  stage: string | null;
  stageIndex: number;
  /** `--platform` of a FROM, expanded when possible; null otherwise. */
  platform: string | null;
  /** True only for the FROM the target stage ultimately builds on. */
  final: boolean;
}

export type DockerfileStageBase =
  | { kind: 'image'; useIndex: number }
  | { kind: 'stage'; stageIndex: number }
  | { kind: 'scratch' }
  | { kind: 'invalid' };

export interface DockerfileStage {
  index: number;
  /** AS-name as written; BuildKit compares stage names case-insensitively. */
  name: string | null;
  line: number;
  /** `invalid` when the FROM has no image or its image is not a valid reference. */
  base: DockerfileStageBase;
}

export interface DockerfileError {
  line: number;
  message: string;
}

export interface DockerfileAnalysis {
  uses: DockerfileImageUse[];
  stages: DockerfileStage[];
  /** Index of the stage that is built; null when there is none or the target is unknown. */
  targetStage: number | null;
  /** `[stage, source stage]` for each `COPY --from=<stage>` / `RUN --mount=from=<stage>`; absent when none was read. */
  stageSources?: ReadonlyArray<readonly [number, number]>;
  /** Sorted by line. */
  errors: DockerfileError[];
}

export interface AnalyzeOptions {
  /** `--build-arg` / compose `args`; override declared ARG defaults. Default: none. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Stage to build (`--target`), case-insensitive. Default: the last stage. */
  target?: string | null;
  /** Target platform for TARGETOS/TARGETARCH/… Default: linux on this machine's CPU. */
  platform?: PlatformSpec;
  /** Build platform for BUILDOS/BUILDARCH/… Default: linux on this machine's CPU (the local engine). */
  buildPlatform?: PlatformSpec;
}

/** BuildKit's rule for `AS` names, checked after lower-casing. */
const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/;

const KNOWN_KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

interface StageState {
  readonly stage: DockerfileStage;
  readonly scope: StageScope;
}

/** A `COPY --from` / `--mount from=` value, resolved once every stage name is known. */
interface PendingSource {
  readonly kind: 'copy-from' | 'mount-from';
  readonly written: string;
  readonly expanded: string | null;
  readonly line: number;
  readonly stageIndex: number;
}

type ImageCandidate = { readonly from: DockerfileImageUse } | { readonly source: PendingSource };

class Analyzer {
  private readonly errors: DockerfileError[] = [];
  private readonly stages: StageState[] = [];
  private readonly stagesByName = new Map<string, number>();
  private readonly candidates: ImageCandidate[] = [];
  /** [stage, the stage it copies or mounts from]. */
  private readonly stageSources: Array<[number, number]> = [];
  private readonly global: GlobalScope;
  private readonly buildArgs: Readonly<Record<string, string>>;

  constructor(
    private readonly escapeChar: string,
    options: AnalyzeOptions,
  ) {
    this.buildArgs = options.buildArgs ?? {};
    const target = options.platform ?? hostPlatform();
    const build = options.buildPlatform ?? hostPlatform();
    this.global = new GlobalScope(platformArgs(target, build), this.buildArgs, escapeChar);
  }

  private error(line: number, message: string): void {
    this.errors.push({ line, message });
  }

  /**
   * `reported`: the word uses a variable whose own expansion failed (`failed`), an error already
   * reported at its ARG or ENV; the word's value is unknown and needs no error of its own.
   */
  private expand(word: string, lookup: VariableLookup, failed: ReadonlySet<string>): { value: string; error: string | null; reported: boolean } {
    let usesFailed = false;
    const tracked: VariableLookup = (name) => {
      if (failed.has(name)) usesFailed = true;
      return lookup(name);
    };
    const result = expandWord(word, tracked, this.escapeChar);
    if (usesFailed) return { value: word, error: 'uses a variable that could not be expanded', reported: true };
    return result.ok ? { value: result.value, error: null, reported: false } : { value: word, error: result.error, reported: false };
  }

  visit(instruction: DockerfileInstruction): void {
    const { keyword, line } = instruction;
    const current = this.stages.at(-1);
    if (!KNOWN_KEYWORDS.has(keyword)) {
      this.error(line, `unknown instruction "${keyword}"`);
      return;
    }
    if (keyword === 'FROM') {
      this.visitFrom(instruction);
      return;
    }
    if (current === undefined) {
      if (keyword === 'ARG') {
        for (const problem of this.global.declare(instruction.properties)) this.error(line, problem.message);
      } else {
        this.error(line, `${keyword} before the first FROM: only ARG instructions may come before FROM`);
      }
      return;
    }
    const scope = current.scope;
    const stageIndex = current.stage.index;
    if (keyword === 'ARG') {
      for (const problem of scope.declareArgs(instruction.properties)) this.error(line, problem.message);
    } else if (keyword === 'ENV') {
      for (const problem of scope.declareEnv(instruction.properties)) this.error(line, problem.message);
    } else if (keyword === 'COPY') {
      for (const flag of instruction.flags) {
        if (flag.name !== 'from') continue;
        if (flag.value === null || flag.value === '') this.error(line, 'COPY --from needs a stage name, stage index or image');
        else this.addSource('copy-from', flag.value, line, stageIndex, scope);
      }
    } else if (keyword === 'RUN') {
      for (const flag of instruction.flags) {
        if (flag.name !== 'mount' || flag.value === null) continue;
        const from = mountFromOption(flag.value);
        if (from !== null) this.addSource('mount-from', from, line, stageIndex, scope);
      }
    }
  }

  // Values are expanded in the stage's own ARG/ENV scope at that point of the file.
  private addSource(kind: PendingSource['kind'], written: string, line: number, stageIndex: number, scope: StageScope): void {
    const { value, error, reported } = this.expand(written, scope.lookup, scope.failed);
    if (error !== null && !reported) this.error(line, `cannot expand ${describeSource(kind)} ${shownValue(written)}: ${error}`);
    this.candidates.push({ source: { kind, written, expanded: error === null ? value : null, line, stageIndex } });
  }

  private visitFrom(instruction: DockerfileInstruction): void {
    const { line, args, flags } = instruction;
    const index = this.stages.length;
    const [image, as, alias] = args;
    const name = args.length >= 3 && as?.toLowerCase() === 'as' ? (alias ?? null) : null;
    const stage: DockerfileStage = { index, name, line, base: { kind: 'invalid' } };

    if (image === undefined) this.error(line, 'FROM needs an image: FROM [--platform=<platform>] <image> [AS <name>]');
    else if (args.length !== 1 && (args.length !== 3 || name === null)) {
      this.error(line, `FROM takes one image and an optional "AS <name>", got "${args.join(' ')}"`);
    }
    if (name !== null) this.registerStageName(name, index, line);

    let platform: string | null = null;
    const platformFlag = flags.find((flag) => flag.name === 'platform');
    if (platformFlag !== undefined && platformFlag.value !== null) {
      const expanded = this.expand(platformFlag.value, this.global.lookup, this.global.failed);
      if (expanded.error !== null && !expanded.reported) this.error(line, `cannot expand --platform "${platformFlag.value}": ${expanded.error}`);
      platform = expanded.value;
    }

    let inheritedEnv: ReadonlyMap<string, string> | undefined;
    if (image !== undefined) {
      const expanded = this.expand(image, this.global.lookup, this.global.failed);
      const parent = expanded.error === null ? this.earlierStage(expanded.value, index) : undefined;
      if (expanded.error !== null) {
        if (!expanded.reported) this.error(line, `cannot expand FROM image ${shownValue(image)}: ${expanded.error}`);
      } else if (expanded.value === 'scratch') {
        stage.base = { kind: 'scratch' };
      } else if (parent !== undefined) {
        stage.base = { kind: 'stage', stageIndex: parent.stage.index };
        inheritedEnv = parent.scope.environment;
      }
      if (stage.base.kind === 'invalid') {
        // stage.base becomes { kind: 'image' } in finish(), once the use's index is known.
        this.candidates.push({ from: this.makeUse('from', image, expanded.error === null ? expanded.value : null, line, stage, platform) });
      }
    }
    this.stages.push({ stage, scope: new StageScope(this.global, this.buildArgs, this.escapeChar, inheritedEnv) });
  }

  private registerStageName(name: string, index: number, line: number): void {
    const key = name.toLowerCase();
    if (!STAGE_NAME.test(key)) {
      this.error(line, `invalid stage name "${name}": it must start with a letter and contain only letters, digits, "-", "_" and "."`);
    }
    const existing = this.stagesByName.get(key);
    if (existing !== undefined) {
      const first = this.stages[existing]?.stage.line ?? 0;
      this.error(line, `duplicate stage name "${name}": already used by the stage on line ${first}`);
      return;
    }
    this.stagesByName.set(key, index);
  }

  /** FROM can only name a stage defined above it. */
  private earlierStage(name: string, before: number): StageState | undefined {
    const index = this.stagesByName.get(name.toLowerCase());
    return index !== undefined && index < before ? this.stages[index] : undefined;
  }

  /** Builds a use; validates the reference and reports an error when it is not one. */
  private makeUse(
    kind: ImageUseKind,
    written: string,
    expanded: string | null,
    line: number,
    stage: DockerfileStage,
    platform: string | null,
  ): DockerfileImageUse {
    const use: DockerfileImageUse = {
      kind, written, expanded: expanded ?? written, ref: null, pinned: null, line,
      stage: stage.name, stageIndex: stage.index, platform, final: false,
    };
    if (expanded === null) return use; // the expansion error is already reported
    const parsed = parseImageRef(expanded);
    if (parsed.ok) {
      use.ref = formatImageRef(parsed.ref);
      use.pinned = parsed.ref.digest;
    } else {
      const what = kind === 'from' ? 'FROM image' : describeSource(kind);
      const shown = written === expanded ? `"${written}"` : `"${written}" (expanded to "${expanded}")`;
      this.error(line, `${what} ${shown} is not a valid image reference: ${parsed.error}`);
    }
    return use;
  }

  /** `COPY --from` / `from=` name a stage (by name or index, anywhere in the file) or else an image. */
  private resolveSource(source: PendingSource): DockerfileImageUse | null {
    const { kind, written, expanded, line, stageIndex } = source;
    const own = this.stages[stageIndex]?.stage;
    if (own === undefined) return null;
    if (expanded === null) return this.makeUse(kind, written, null, line, own, null);
    const what = describeSource(kind);
    if (expanded === '') {
      this.error(line, `${what} "${written}" expands to an empty value`);
      return null;
    }
    let target: number | undefined;
    if (/^\d+$/.test(expanded)) {
      target = Number(expanded);
      if (target >= this.stages.length) {
        this.error(line, `${what} "${written}" refers to stage index ${target}, but there are only ${this.stages.length} stages`);
        return null;
      }
    } else {
      target = this.stagesByName.get(expanded.toLowerCase());
    }
    if (target === undefined) return this.makeUse(kind, written, expanded, line, own, null);
    if (target === stageIndex) this.error(line, `${what} "${written}" refers to its own stage`);
    else this.stageSources.push([stageIndex, target]);
    return null;
  }

  finish(targetName: string | null | undefined): DockerfileAnalysis {
    const uses: DockerfileImageUse[] = [];
    for (const candidate of this.candidates) {
      const use = 'from' in candidate ? candidate.from : this.resolveSource(candidate.source);
      if (use === null) continue;
      if (use.kind === 'from' && use.ref !== null) {
        const stage = this.stages[use.stageIndex]?.stage;
        if (stage !== undefined) stage.base = { kind: 'image', useIndex: uses.length };
      }
      uses.push(use);
    }

    const stages = this.stages.map((state) => state.stage);
    if (stages.length === 0) this.error(1, 'no FROM instruction: a Dockerfile needs at least one build stage');

    let targetStage: number | null = stages.length > 0 ? stages.length - 1 : null;
    if (targetName !== undefined && targetName !== null && targetName !== '') {
      targetStage = this.stagesByName.get(targetName.toLowerCase()) ?? null;
      if (targetStage === null) {
        const names = stages.flatMap((stage) => (stage.name === null ? [] : [`"${stage.name}"`]));
        const known = names.length > 0 ? `; stages are ${names.join(', ')}` : '; no stage has a name';
        this.error(stages.at(-1)?.line ?? 1, `target stage "${targetName}" could not be found${known}`);
      }
    }

    // Stage references only point upwards, so this walk always ends.
    let stage = targetStage === null ? undefined : stages[targetStage];
    while (stage?.base.kind === 'stage') stage = stages[stage.base.stageIndex];
    if (stage?.base.kind === 'image') {
      const finalUse = uses[stage.base.useIndex];
      if (finalUse !== undefined) finalUse.final = true;
    }

    const errors = this.errors.map((error, order) => ({ error, order }));
    errors.sort((a, b) => a.error.line - b.error.line || a.order - b.order);
    return { uses, stages, targetStage, errors: errors.map(({ error }) => error), stageSources: this.stageSources };
  }
}

function describeSource(kind: ImageUseKind): string {
  return kind === 'copy-from' ? 'COPY --from' : kind === 'mount-from' ? 'RUN --mount from' : 'FROM image';
}

/**
 * Lists the images a Dockerfile uses and the stage structure, with BuildKit semantics.
 * Never throws: problems are returned in `errors`, with everything else still extracted.
 *
 * `COPY --from` and `--mount=…,from=` values are expanded in their stage's scope (ARGs
 * declared in that stage, ENV set in it or inherited from a parent stage). A value names a
 * stage when it equals a stage's name (case-insensitive) or index anywhere in the file,
 * as BuildKit resolves them after reading all stages; otherwise it is an image.
 */
export function analyzeDockerfile(content: string, options: AnalyzeOptions = {}): DockerfileAnalysis {
  let parsed: ReturnType<typeof parseDockerfile>;
  try {
    parsed = parseDockerfile(typeof content === 'string' ? content : '');
  } catch (error) {
    // dockerfile-ast is an editor-tooling parser; a crash on odd input must not take the daemon down.
    const message = `could not parse the Dockerfile: ${error instanceof Error ? error.message : String(error)}`;
    return { uses: [], stages: [], targetStage: null, errors: [{ line: 1, message }] };
  }
  const analyzer = new Analyzer(parsed.escapeChar, options);
  for (const instruction of parsed.instructions) analyzer.visit(instruction);
  const analysis = analyzer.finish(options.target);
  if (parsed.errors.length > 0) {
    analysis.errors = [...parsed.errors, ...analysis.errors].sort((a, b) => a.line - b.line);
  }
  return analysis;
}
