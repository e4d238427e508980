/** `basewatch rebuild` and `basewatch link`. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadSettings } from '../config/settings-file.js';
import { analyzeDockerfile } from '../inventory/dockerfile/analyze-dockerfile.js';
import { connectEngine } from '../engine/connect.js';
import { basewatchPaths } from '../config/paths.js';
import { familiarImageRef, parseImageRef } from '../refs/image-ref.js';
import { dockerCredentials } from '../registry/credentials.js';
import { readBuildLinks, saveBuildLink } from '../record/build-links.js';
import type { BuildLink } from '../inventory/build-link.js';
import { type BuildSourceVia, type BuildSpec, resolveBuildSource } from '../act/rebuild/build-source.js';
import { type RebuildOutcome, rebuildImage } from '../act/rebuild/rebuild-image.js';
import { progressReporter } from './check-command.js';
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
  const print = (report: RebuildReport): number => {
    report = { ...report, warnings: [...leftovers, ...report.warnings] };
    io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderRebuild(report, style));
    return report.status === 'failed' ? EXIT.failed : EXIT.ok;
  };

  const source = await resolveBuildSource({ engine, buildLinks: await readBuildLinks(paths.state), roots, cwd: io.cwd, env: io.env }, options.target);
  if (!source.ok) {
    return print({
      status: 'failed', image: options.target, tags: [], oldImageId: null, newImageId: null, baseRef: null, baseDigest: null,
      seconds: 0, logTail: [], reasons: [source.message], warnings: [], keepTag: null, source: null,
    });
  }
  const progress = progressReporter(io, options.json);
  const outcome = await rebuildImage(
    {
      engine,
      credentials: dockerCredentials({ env: io.env as NodeJS.ProcessEnv }),
      stateDir: paths.state,
      smokeTest: settings.smokeTest,
      onProgress: (p) => progress.update(p.step === 0 ? p.text : `Step ${p.step}/${p.total}: ${p.text}`),
    },
    source.spec,
    { dryRun: options.dryRun },
  );
  progress.done();
  const { image: _image, tags: _tags, ...rest } = source.spec;
  return print({ ...outcome, warnings: [...source.warnings, ...outcome.warnings], source: { ...rest, via: source.via } });
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
  for (const arg of options.buildArgs) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg : arg.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return { ok: false, message: `--build-arg ${arg}: expected KEY=VALUE` };
    const value = eq < 0 ? env[key] : arg.slice(eq + 1);
    if (value === undefined) return { ok: false, message: `--build-arg ${key}: no value given and ${key} is not set in the environment` };
    buildArgs[key] = value;
  }

  const dockerfile = path.resolve(cwd, options.dockerfile);
  let text: string;
  try {
    const stat = await fs.stat(dockerfile);
    if (!stat.isFile()) return { ok: false, message: `${dockerfile} is not a file` };
    text = await fs.readFile(dockerfile, 'utf8');
  } catch (error) {
    return { ok: false, message: `cannot read the Dockerfile ${dockerfile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  const context = path.resolve(cwd, options.context ?? path.dirname(dockerfile));
  try {
    if (!(await fs.stat(context)).isDirectory()) return { ok: false, message: `--context ${context} is not a folder` };
  } catch {
    return { ok: false, message: `--context ${context} does not exist` };
  }
  const analysis = analyzeDockerfile(text, { buildArgs, target: options.target });
  if (analysis.errors.length > 0) {
    return { ok: false, message: analysis.errors.map((e) => `${dockerfile}:${e.line}: ${e.message}`).join('\n') };
  }
  if (analysis.stages.length === 0) return { ok: false, message: `${dockerfile} has no FROM: it builds nothing` };
  return {
    ok: true,
    link: { image: `${ref.ref.registry}/${ref.ref.repository}:${ref.ref.tag ?? 'latest'}`, dockerfile, context, target: options.target, buildArgs, linkedAt: now.toISOString() },
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
  const saved = await saveBuildLink(basewatchPaths(io.env as NodeJS.ProcessEnv).state, input.link);
  if (!saved.ok) {
    io.stderr.write(errStyle.red(`basewatch link: ${saved.message}\n`));
    return EXIT.failed;
  }
  const link = input.link;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(link, null, 2)}\n`);
  } else {
    const parsed = parseImageRef(link.image);
    const name = parsed.ok ? familiarImageRef(parsed.ref) : link.image;
    const details = [
      `context ${link.context}`,
      ...(link.target === null ? [] : [`target ${link.target}`]),
      ...(Object.keys(link.buildArgs).length === 0 ? [] : [`build args ${Object.keys(link.buildArgs).join(', ')}`]),
    ];
    io.stdout.write(`${style.green(`Linked ${name} → ${link.dockerfile}`)} (${details.join('; ')})\n  rebuild it with: basewatch rebuild ${name}\n`);
  }
  return EXIT.ok;
}
