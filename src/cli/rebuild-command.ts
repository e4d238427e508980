/** `basewatch rebuild` and `basewatch link`. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readBoundedFile } from '../util/read-bounded-file.js';
import { MASKED_VALUE, maskBuildArgs, maskValuesIn } from '../util/mask-build-args.js';
import { ConfigError, loadSettings } from '../config/settings-file.js';
import { analyzeDockerfile } from '../inventory/dockerfile/analyze-dockerfile.js';
import { connectEngine } from '../engine/connect.js';
import { basewatchPaths } from '../config/paths.js';
import { familiarImageRef, normalizeImageRef, parseImageRef } from '../refs/image-ref.js';
import { STATE_FILE_NAME, peekState } from '../record/state-store.js';
import { dockerCredentials } from '../registry/credentials.js';
import { readBuildLinks, removeBuildLink, saveBuildLink } from '../record/build-links.js';
import { didYouMean } from '../refs/closest-names.js';
import type { EngineClient } from '../engine/docker-engine.js';
import { type BuildLink, linkBuildArgs } from '../inventory/build-link.js';
import { type BuildSourceVia, type BuildSpec, classifyTarget, resolveBuildSource } from '../act/rebuild/build-source.js';
import { type RebuildOutcome, rebuildImage } from '../act/rebuild/rebuild-image.js';
import { progressLine } from './progress-line.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { shortDigest, shortRef } from './render-check.js';
import { type Style, colorEnabled, createStyle } from './style.js';
import { finishLeftovers } from '../act/tag-moves/leftovers.js';

export interface RebuildCommandOptions {
  /** An image (name or id), a Dockerfile path, `<compose file>#<service>`, or a compose service name. */
  readonly target: string;
  /** Folders searched for compose files; default: the `roots` setting and the current folder. */
  readonly roots: readonly string[];
  readonly json: boolean;
  readonly dryRun: boolean;
}

export interface LinkCommandOptions {
  readonly image: string;
  readonly dockerfile: string;
  /** Default: the Dockerfile's folder. */
  readonly context: string | null;
  readonly target: string | null;
  /** `KEY=VALUE`, or `KEY` to take the value from the environment (as `docker build` does). */
  readonly buildArgs: readonly string[];
  readonly json: boolean;
}

/** What `rebuild --json` prints: the outcome, and where the build came from. */
export interface RebuildReport extends RebuildOutcome {
  readonly source: (Omit<BuildSpec, 'image' | 'tags'> & { readonly via: BuildSourceVia }) | null;
}

export function renderRebuild(report: RebuildReport, style: Style): string {
  const out: string[] = [];
  const base = report.baseRef === null ? 'scratch' : `${shortRef(report.baseRef)}${report.baseDigest === null ? '' : `@${shortDigest(report.baseDigest)}`}`;
  switch (report.status) {
    case 'rebuilt':
      out.push(style.green(`Rebuilt ${report.image} on ${base} in ${report.seconds.toFixed(1)} s`));
      break;
    case 'dry-run':
      out.push(style.bold(`Would rebuild ${report.image} on a fresh pull of ${base} (dry run: nothing changed)`));
      break;
    case 'skipped':
      out.push(style.yellow(`Rebuilt ${report.image}, but moved no tag: they were re-pointed while it was rebuilding`));
      for (const reason of report.reasons) out.push(`  - ${reason}`);
      break;
    case 'failed':
      out.push(style.red(`Rebuild of ${report.image} failed; ${report.tags.length > 0 ? 'its tags were not moved' : 'nothing was changed'}`));
      for (const reason of report.reasons) out.push(`  - ${reason}`);
      break;
  }
  if (report.source !== null) {
    const where = report.source.compose === null ? '' : ` (${report.source.compose}#${report.source.service})`;
    out.push(`  from      ${report.source.dockerfile}${report.source.target === null ? '' : ` --target ${report.source.target}`}${where}`);
  }
  if (report.status !== 'failed' || report.newImageId !== null) {
    if (report.newImageId !== null) out.push(`  image     ${shortDigest(report.oldImageId)} → ${shortDigest(report.newImageId)}`);
    if (report.tags.length > 0) out.push(`  tags      ${report.tags.join(', ')}`);
    if (report.status === 'rebuilt' && report.keepTag !== null) out.push(`  undo      basewatch rollback ${report.image}`);
  }
  if (report.status === 'failed' && report.logTail.length > 0) {
    out.push(`  build output (last ${report.logTail.length} lines):`);
    for (const line of report.logTail) out.push(style.dim(`    ${line}`));
  }
  for (const warning of report.warnings) out.push(style.yellow(`  warning: ${warning}`));
  return `${out.join('\n')}\n`;
}

function loadSettingsOrNull(io: CliIo, style: Style) {
  try {
    return loadSettings(basewatchPaths(io.env as NodeJS.ProcessEnv).config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(style.red(`basewatch: ${error.message}\n`));
    return null;
  }
}

export async function runRebuildCommand(options: RebuildCommandOptions, io: CliIo): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  const settings = loadSettingsOrNull(io, errStyle);
  if (settings === null) return EXIT.usage;
  const paths = basewatchPaths(io.env as NodeJS.ProcessEnv);
  let engine;
  try {
    engine = await connectEngine({ env: io.env as NodeJS.ProcessEnv });
  } catch (error) {
    io.stderr.write(errStyle.red(`basewatch: ${error instanceof Error ? error.message : String(error)}\n`));
    return EXIT.engineUnreachable;
  }
  const roots = options.roots.length > 0 ? options.roots.map((root) => path.resolve(io.cwd, root)) : [...new Set([io.cwd, ...settings.roots])];
  // Before the build source is looked for: a tag move a killed run left is finished first.
  const leftovers = await finishLeftovers(engine, paths.state);
  // Build-arg values never reach the output: the source shows keys only, and a value a build log
  // or an engine error echoes is masked too.
  let secretValues: string[] = [];
  const print = (given: RebuildReport): number => {
    const report: RebuildReport = { ...given, warnings: [...leftovers, ...given.warnings] };
    const masked: RebuildReport = report.source === null ? report : { ...report, source: { ...report.source, buildArgs: maskBuildArgs(report.source.buildArgs) } };
    io.stdout.write(maskValuesIn(options.json ? `${JSON.stringify(masked, null, 2)}\n` : renderRebuild(masked, style), secretValues));
    return report.status === 'failed' ? EXIT.failed : EXIT.ok;
  };

  const source = await resolveBuildSource({ engine, buildLinks: await readBuildLinks(paths.state), roots, cwd: io.cwd, env: io.env }, options.target);
  if (source.ok && (await namesAbsentImage(options.target, source.spec, io.cwd, engine))) {
    // A rebuild replaces an image; a typo (or a link to one) must not build a new one under that name.
    print({
      status: 'failed', image: options.target, tags: [], oldImageId: null, newImageId: null, baseRef: null, baseDigest: null, seconds: 0, logTail: [],
      reasons: [
        `there is no local image ${options.target}${didYouMean(options.target, await localImageNames(engine))}; nothing was built`,
        `rebuild replaces an existing image: build it once yourself (docker build -t ${options.target} -f ${source.spec.dockerfile} ${source.spec.context}), or name the Dockerfile: basewatch rebuild ${source.spec.dockerfile}`,
      ],
      warnings: [], keepTag: null, source: null,
    });
    return EXIT.partial;
  }
  if (!source.ok) {
    const absent = await namesAbsentImage(options.target, null, io.cwd, engine);
    const reasons = [source.message];
    if (absent) reasons.push(`there is no local image ${options.target}${didYouMean(options.target, await localImageNames(engine))}`);
    else {
      // The Dockerfile the last check found this image's history matches: the link that settles it.
      const suggested = await suggestedLinkOf(paths.state, options.target);
      if (suggested !== null) reasons.push(`the last check found it looks built from ${suggested.shown}: ${suggested.command}, then basewatch rebuild ${options.target}`);
    }
    const printed = print({
      status: 'failed', image: options.target, tags: [], oldImageId: null, newImageId: null, baseRef: null, baseDigest: null,
      seconds: 0, logTail: [], reasons, warnings: [], keepTag: null, source: null,
    });
    // A name that matches no image is a typo (exit 4), not a failed rebuild.
    return absent ? EXIT.partial : printed;
  }
  secretValues = Object.values(source.spec.buildArgs);
  const progress = progressLine(io, options.json);
  const outcome = await rebuildImage(
    {
      engine,
      credentials: dockerCredentials({ env: io.env as NodeJS.ProcessEnv }),
      stateDir: paths.state,
      smokeTest: settings.smokeTest,
      onProgress: (p) => progress.update(p.step === 0 ? p.text : `build step ${p.step}/${p.total}: ${p.text}`),
    },
    source.spec,
    { dryRun: options.dryRun },
  );
  progress.done();
  const { image: _image, tags: _tags, ...rest } = source.spec;
  return print({ ...outcome, warnings: [...source.warnings, ...outcome.warnings], source: { ...rest, via: source.via } });
}

/** The tags of every local image, as Docker prints them: what a "did you mean" chooses from. */
export async function localImageNames(engine: EngineClient): Promise<string[]> {
  return (await engine.listImages()).flatMap((image) => image.repoTags);
}

/** The target names an image (not a file, a compose service or a service name) the engine does not have. */
async function namesAbsentImage(target: string, spec: BuildSpec | null, cwd: string, engine: EngineClient): Promise<boolean> {
  if (classifyTarget(target).kind !== 'path-or-image') return false;
  if (spec !== null && spec.service !== null && spec.service === target) return false;
  if (spec !== null && spec.image !== target) return false;
  if (!parseImageRef(target).ok) return false;
  try {
    if ((await fs.stat(path.resolve(cwd, target))).isFile()) return false;
  } catch {
    // Not a file: an image name.
  }
  return (await engine.inspectImage(target)) === null;
}

/** The `basewatch link` command the last recorded check suggested for this image, if any. */
async function suggestedLinkOf(stateDir: string, image: string): Promise<{ shown: string; command: string } | null> {
  const state = await peekState(path.join(stateDir, STATE_FILE_NAME)).catch(() => null);
  const wanted = normalizeImageRef(image);
  const found = state?.lastCheck?.report.images.find((entry) => entry.tags.some((tag) => tag === image || (wanted !== null && normalizeImageRef(tag) === wanted)));
  return found?.suggestedLink ?? null;
}

type LinkInput = { ok: true; link: BuildLink } | { ok: false; message: string };

/** Checks what `basewatch link` was given; reads the Dockerfile, touches nothing else. */
export async function validateLink(options: LinkCommandOptions, cwd: string, env: Readonly<Record<string, string | undefined>>, now: Date): Promise<LinkInput> {
  if (/^(sha256:)?[0-9a-f]{64}$/.test(options.image) || options.image.startsWith('sha256:')) {
    return { ok: false, message: `link an image by its name (app:1), not by its id: ids change with every build` };
  }
  const ref = parseImageRef(options.image);
  if (!ref.ok) return { ok: false, message: `image ${options.image}: ${ref.error}` };
  if (ref.ref.digest !== null) return { ok: false, message: `image ${options.image}: link a tag, not a digest (a rebuild gives a new digest)` };

  const buildArgs: Record<string, string> = {};
  const envBuildArgs: string[] = [];
  for (const arg of options.buildArgs) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    // The key only: what follows = may be a secret.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return { ok: false, message: `--build-arg ${JSON.stringify(key)}: expected KEY=VALUE or KEY` };
    // KEY alone: read from the environment at each rebuild, never stored (a secret stays off disk).
    if (eq < 0) envBuildArgs.push(key);
    else buildArgs[key] = arg.slice(eq + 1);
  }

  const dockerfile = path.resolve(cwd, options.dockerfile);
  const read = await readBoundedFile(dockerfile, 'dockerfile');
  if (!read.ok) return { ok: false, message: `cannot read the Dockerfile ${dockerfile}: it ${read.message}` };
  const text = read.text;
  const context = path.resolve(cwd, options.context ?? path.dirname(dockerfile));
  try {
    if (!(await fs.stat(context)).isDirectory()) return { ok: false, message: `--context ${context} is not a folder` };
  } catch {
    return { ok: false, message: `--context ${context} does not exist` };
  }
  const analysis = analyzeDockerfile(text, { buildArgs: linkBuildArgs({ buildArgs, envBuildArgs }, env), target: options.target });
  if (analysis.errors.length > 0) {
    return { ok: false, message: analysis.errors.map((e) => `${dockerfile}:${e.line}: ${e.message}`).join('\n') };
  }
  if (analysis.stages.length === 0) return { ok: false, message: `${dockerfile} has no FROM: it builds nothing` };
  return {
    ok: true,
    link: {
      image: `${ref.ref.registry}/${ref.ref.repository}:${ref.ref.tag ?? 'latest'}`,
      dockerfile,
      context,
      target: options.target,
      buildArgs,
      envBuildArgs,
      linkedAt: now.toISOString(),
    },
  };
}

export async function runLinkCommand(options: LinkCommandOptions, io: CliIo): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  const input = await validateLink(options, io.cwd, io.env, new Date());
  if (!input.ok) {
    io.stderr.write(errStyle.red(`basewatch link: ${input.message}\n`));
    return EXIT.usage;
  }
  // A link to an image that does not exist is a typo; left alone, a later rebuild would build it.
  let engine: EngineClient;
  try {
    engine = await connectEngine({ env: io.env as NodeJS.ProcessEnv });
  } catch (error) {
    io.stderr.write(errStyle.red(`basewatch link: cannot tell whether ${options.image} exists, nothing was linked: ${error instanceof Error ? error.message : String(error)}\n`));
    return EXIT.engineUnreachable;
  }
  if ((await engine.inspectImage(options.image)) === null) {
    io.stderr.write(
      errStyle.red(
        `basewatch link: there is no local image ${options.image}${didYouMean(options.image, await localImageNames(engine))}; nothing was linked. ` +
          `Link the name of an image you built (docker image ls), or build it first: docker build -t ${options.image} -f ${input.link.dockerfile} ${input.link.context}\n`,
      ),
    );
    return EXIT.partial;
  }
  const saved = await saveBuildLink(basewatchPaths(io.env as NodeJS.ProcessEnv).state, input.link);
  if (!saved.ok) {
    io.stderr.write(errStyle.red(`basewatch link: ${saved.message}\n`));
    return EXIT.failed;
  }
  const link = input.link;
  if (options.json) {
    // Keys only: the values stay in the private build links file.
    io.stdout.write(`${JSON.stringify({ ...link, buildArgs: maskBuildArgs(link.buildArgs) }, null, 2)}\n`);
  } else {
    const parsed = parseImageRef(link.image);
    const name = parsed.ok ? familiarImageRef(parsed.ref) : link.image;
    const details = [
      `context ${link.context}`,
      ...(link.target === null ? [] : [`target ${link.target}`]),
      ...(Object.keys(link.buildArgs).length === 0 ? [] : [`build args ${Object.keys(link.buildArgs).map((key) => `${key}=${MASKED_VALUE}`).join(', ')}`]),
      ...((link.envBuildArgs ?? []).length === 0 ? [] : [`from the environment at rebuild time: ${(link.envBuildArgs ?? []).join(', ')}`]),
    ];
    io.stdout.write(`${style.green(`Linked ${name} → ${link.dockerfile}`)} (${details.join('; ')})\n  rebuild it with: basewatch rebuild ${name}\n`);
  }
  return EXIT.ok;
}

export interface UnlinkCommandOptions {
  readonly image: string;
  readonly json: boolean;
}

/** `basewatch unlink IMAGE`: forget what `basewatch link` recorded for it. */
export async function runUnlinkCommand(options: UnlinkCommandOptions, io: CliIo): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  const stateDir = basewatchPaths(io.env as NodeJS.ProcessEnv).state;
  const ref = parseImageRef(options.image);
  if (!ref.ok) {
    io.stderr.write(errStyle.red(`basewatch unlink: image ${options.image}: ${ref.error}\n`));
    return EXIT.usage;
  }
  const image = `${ref.ref.registry}/${ref.ref.repository}:${ref.ref.tag ?? 'latest'}`;
  const links = await readBuildLinks(stateDir);
  const familiar = (name: string): string => {
    const parsed = parseImageRef(name);
    return parsed.ok ? familiarImageRef(parsed.ref) : name;
  };
  const removed = await removeBuildLink(stateDir, image);
  if (!removed.ok) {
    io.stderr.write(errStyle.red(`basewatch unlink: ${removed.message}\n`));
    return EXIT.failed;
  }
  if (removed.removed === null) {
    const linked = links.ok ? links.links.map((link) => familiar(link.image)) : [];
    const known = linked.length === 0 ? 'no image is linked' : `linked: ${linked.join(', ')}`;
    io.stderr.write(errStyle.red(`basewatch unlink: ${options.image} has no link${didYouMean(familiar(image), linked)} (${known})\n`));
    return EXIT.partial;
  }
  if (options.json) io.stdout.write(`${JSON.stringify({ unlinked: removed.removed }, null, 2)}\n`);
  else io.stdout.write(`${style.green(`Unlinked ${familiar(image)}`)} (was → ${removed.removed.dockerfile})\n`);
  return EXIT.ok;
}
