/**
 * Reads the Dockerfiles and compose files found under the roots: what base images each file
 * uses, and what each compose service builds (the hints the linker needs).
 */
import path from 'node:path';
import { analyzeCompose, parseDotEnv } from './compose/analyze-compose.js';
import { type DockerfileAnalysis, type DockerfileImageUse, analyzeDockerfile } from './dockerfile/analyze-dockerfile.js';
import type { BuildHint } from './local-image.js';
import type { BuildLink } from './build-link.js';
import type { ComposeReport, FileError, ReportError } from '../report/check-report.js';
import { maskBuildArgs } from '../util/mask-build-args.js';
import { ProjectFileCache, type ProjectFileKind } from './project-file-cache.js';

/** One way a Dockerfile is built: with a compose service's args and target, or plainly. */
export interface DockerfileBuild {
  readonly args: Readonly<Record<string, string>>;
  readonly target: string | null;
  readonly usedBy: string | null;
}

export interface DockerfileReading {
  readonly path: string;
  readonly uses: readonly DockerfileImageUse[];
  readonly errors: readonly FileError[];
  readonly usedBy: readonly string[];
  /** The file's text (null when it could not be read), for matching images to it by history. */
  readonly text: string | null;
}

export interface ProjectReading {
  readonly dockerfiles: readonly DockerfileReading[];
  readonly compose: readonly ComposeReport[];
  readonly hints: readonly BuildHint[];
  readonly errors: readonly ReportError[];
}

/**
 * A project file's text, or why it cannot be read: only a regular file within the limit of its
 * kind is read (util/read-bounded-file), so a FIFO, a link to /dev/zero or a huge file named
 * Dockerfile is one error of the report, never a hang.
 */
async function readText(files: ProjectFileCache, file: string, kind: ProjectFileKind): Promise<string | { error: string; missing: boolean }> {
  const read = await files.read(file, kind);
  if (read.ok) return read.text;
  return { error: `cannot read file: it ${read.message}`, missing: read.problem === 'missing' };
}

/** A Dockerfile's analysis with these args and target, parsed once per version of the file. */
function analyzeCached(files: ProjectFileCache, file: string, text: string, options: { buildArgs: Readonly<Record<string, string>>; target: string | null }): DockerfileAnalysis {
  const key = JSON.stringify([Object.entries(options.buildArgs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), options.target]);
  return files.parsed(file, text, key, () => analyzeDockerfile(text, options));
}

function finalBaseRef(analysis: DockerfileAnalysis): string | null {
  return analysis.uses.find((use) => use.final)?.ref ?? null;
}

/**
 * The images the built stage copies from, in it and in the stages it is built FROM (a chain of
 * `FROM <stage>`), and through stages it copies from: the image a copied-from stage is built FROM
 * and what that stage copies from in turn (`FROM tool:1 AS tools` … `COPY --from=tools`).
 */
export function copySourcesOf(analysis: DockerfileAnalysis): string[] {
  const chainOf = (start: number | null): number[] => {
    const chain: number[] = [];
    let stage = start;
    while (stage !== null && !chain.includes(stage)) {
      chain.push(stage);
      const base = analysis.stages[stage]?.base;
      stage = base?.kind === 'stage' ? base.stageIndex : null;
    }
    return chain;
  };
  const sourcesOf = (stage: number): number[] => (analysis.stageSources ?? []).filter(([from]) => from === stage).map(([, source]) => source);
  const built = new Set(chainOf(analysis.targetStage));
  // Stages whose content is copied into the built chain, and the stages those rest on.
  const copied = new Set<number>();
  const pending = [...built].flatMap((index) => sourcesOf(index));
  while (pending.length > 0) {
    const next = pending.pop() as number;
    for (const index of chainOf(next)) {
      if (copied.has(index) || built.has(index)) continue;
      copied.add(index);
      pending.push(...(sourcesOf(index)));
    }
  }
  const refs = analysis.uses
    .filter((use) => use.ref !== null && ((use.kind !== 'from' && (built.has(use.stageIndex) || copied.has(use.stageIndex))) || (use.kind === 'from' && copied.has(use.stageIndex))))
    .map((use) => use.ref as string);
  return [...new Set(refs)];
}

/** Merges the uses of several builds of one file: a use counts as final if it is final in any build. */
function mergeUses(analyses: readonly DockerfileAnalysis[]): DockerfileImageUse[] {
  const merged = new Map<string, DockerfileImageUse>();
  for (const analysis of analyses) {
    for (const use of analysis.uses) {
      const key = `${use.line}\0${use.kind}\0${use.ref ?? use.expanded}`;
      const seen = merged.get(key);
      merged.set(key, seen === undefined ? use : { ...seen, final: seen.final || use.final });
    }
  }
  return [...merged.values()].sort((a, b) => a.line - b.line);
}

export async function readProjects(
  dockerfilePaths: readonly string[],
  composePaths: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  /** Files read before, and what was parsed from them: a file unchanged since is not read again. */
  files: ProjectFileCache = new ProjectFileCache(),
): Promise<ProjectReading> {
  const errors: ReportError[] = [];
  const compose: ComposeReport[] = [];
  const hints: BuildHint[] = [];
  const builds = new Map<string, DockerfileBuild[]>();
  const contents = new Map<string, string | { error: string }>();
  const content = async (file: string, kind: ProjectFileKind): Promise<string | { error: string }> => {
    let text = contents.get(file);
    if (text === undefined) {
      text = await readText(files, file, kind);
      contents.set(file, text);
    }
    return text;
  };
  const reportedDotEnv = new Set<string>();
  const addBuild = (file: string, build: DockerfileBuild): void => {
    builds.set(file, [...(builds.get(file) ?? []), build]);
  };

  for (const composePath of composePaths) {
    const text = await content(composePath, 'compose');
    if (typeof text !== 'string') {
      compose.push({ path: composePath, project: '', services: [], errors: [{ line: null, message: text.error }] });
      errors.push({ where: composePath, message: text.error });
      continue;
    }
    // Compose reads .env beside the file; the process environment wins over it.
    const dotEnvFile = path.join(path.dirname(composePath), '.env');
    const dotEnvText = await readText(files, dotEnvFile, 'dot-env');
    if (typeof dotEnvText !== 'string' && !dotEnvText.missing && !reportedDotEnv.has(dotEnvFile)) {
      // Read for every compose file beside it: reported once.
      reportedDotEnv.add(dotEnvFile);
      errors.push({ where: dotEnvFile, message: `${dotEnvText.error} (read for ${composePath}; its variables are left unset)` });
    }
    const composeEnv = { ...(typeof dotEnvText === 'string' ? parseDotEnv(dotEnvText) : {}), ...env };
    const analysis = files.parsed(composePath, text, JSON.stringify(Object.entries(composeEnv).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), () => analyzeCompose(text, composePath, composeEnv));
    for (const error of analysis.errors) {
      errors.push({ where: error.line === null ? composePath : `${composePath}:${error.line}`, message: error.message });
    }
    compose.push({
      path: composePath,
      project: analysis.project,
      errors: analysis.errors,
      services: analysis.services.map((service) => ({
        name: service.name,
        image: service.imageRef,
        dockerfile: service.build?.dockerfile ?? null,
        context: service.build?.context ?? null,
        target: service.build?.target ?? null,
        // Keys only: a value can be a secret (util/mask-build-args).
        args: maskBuildArgs(service.build?.args ?? {}),
      })),
    });
    for (const service of analysis.services) {
      const build = service.build;
      if (build === null || build.remote || service.imageRef === null) continue;
      const usedBy = `${composePath}#${service.name}`;
      let dockerfileText: string | { error: string } | null = build.dockerfileInline;
      if (build.dockerfile !== null) {
        addBuild(build.dockerfile, { args: build.args, target: build.target, usedBy });
        dockerfileText = await content(build.dockerfile, 'dockerfile');
      }
      let baseRef: string | null = null;
      let copySources: string[] = [];
      if (typeof dockerfileText === 'string') {
        // An inline Dockerfile (compose `dockerfile_inline`) is no file: parsed as it is.
        const analysis = build.dockerfile !== null ? analyzeCached(files, build.dockerfile, dockerfileText, { buildArgs: build.args, target: build.target }) : analyzeDockerfile(dockerfileText, { buildArgs: build.args, target: build.target });
        baseRef = finalBaseRef(analysis);
        copySources = copySourcesOf(analysis);
      }
      // A Dockerfile that cannot be read is reported once, by its own name, among the
      // Dockerfiles below (with this service in its usedBy).
      hints.push({
        via: 'compose',
        imageRef: service.imageRef,
        composeFile: composePath,
        service: service.name,
        context: build.context,
        dockerfile: build.dockerfile,
        target: build.target,
        // What the report shows: keys only. A rebuild reads the values from the compose file again.
        args: maskBuildArgs(build.args),
        baseRef,
        copySources,
        ...(typeof dockerfileText === 'string' ? { text: dockerfileText } : {}),
      });
    }
  }

  const dockerfiles: DockerfileReading[] = [];
  const allDockerfiles = [...new Set([...dockerfilePaths, ...builds.keys()])].sort();
  for (const file of allDockerfiles) {
    const text = await content(file, 'dockerfile');
    const fileBuilds = builds.get(file) ?? [{ args: {}, target: null, usedBy: null }];
    const usedBy = fileBuilds.flatMap((build) => (build.usedBy === null ? [] : [build.usedBy]));
    if (typeof text !== 'string') {
      dockerfiles.push({ path: file, uses: [], errors: [{ line: null, message: text.error }], usedBy, text: null });
      errors.push({ where: file, message: text.error });
      continue;
    }
    const analyses = fileBuilds.map((build) => analyzeCached(files, file, text, { buildArgs: build.args, target: build.target }));
    const fileErrors = analyses[0]?.errors ?? [];
    for (const error of fileErrors) errors.push({ where: `${file}:${error.line}`, message: error.message });
    dockerfiles.push({ path: file, uses: mergeUses(analyses), errors: fileErrors, usedBy, text });
  }
  return { dockerfiles, compose, hints, errors };
}

/**
 * Hints from `basewatch link` records: each linked Dockerfile read with the link's args and
 * target, for the base its final stage is built FROM. A Dockerfile that cannot be read is an
 * error of the report, and its link still names the Dockerfile (for rebuilds).
 */
export async function hintsFromBuildLinks(links: readonly BuildLink[], files: ProjectFileCache = new ProjectFileCache()): Promise<{ hints: BuildHint[]; errors: ReportError[] }> {
  const hints: BuildHint[] = [];
  const errors: ReportError[] = [];
  for (const link of links) {
    const text = await readText(files, link.dockerfile, 'dockerfile');
    let baseRef: string | null = null;
    let copySources: string[] = [];
    if (typeof text === 'string') {
      const analysis = analyzeCached(files, link.dockerfile, text, { buildArgs: link.buildArgs, target: link.target });
      baseRef = finalBaseRef(analysis);
      copySources = copySourcesOf(analysis);
    } else errors.push({ where: link.dockerfile, message: `linked to ${link.image} with basewatch link: ${text.error}` });
    hints.push({
      via: 'link',
      imageRef: link.image,
      composeFile: null,
      service: null,
      context: link.context,
      dockerfile: link.dockerfile,
      target: link.target,
      args: maskBuildArgs({ ...link.buildArgs, ...Object.fromEntries((link.envBuildArgs ?? []).map((key) => [key, ''])) }),
      baseRef,
      copySources,
    });
  }
  return { hints, errors };
}
