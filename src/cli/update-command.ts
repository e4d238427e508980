/** `basewatch update`: one cycle (check, plan per policy, act, record), or its plan with --dry-run. */
import type { ActionOutcome, CycleResult } from '../record/cycle-result.js';
import { cycleFromDaemon } from './daemon-route.js';
import { runUpdateCycle } from '../pipeline/update-cycle.js';
import { describePlan } from '../plan/plan-actions.js';
import { StateLockTimeoutError } from '../record/state-store.js';
import { progressLine } from './progress-line.js';
import { checkExitCode } from './check-command.js';
import { cliPaths, lockBusyExit, settingsOrExit } from './cli-context.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { shortDigest, shortRef } from './render-check.js';
import { renderIgnored } from './render-scope.js';
import { type Style, colorEnabled, createStyle, formatTable, wrapLines, wrapWidth } from './style.js';

export interface UpdateCommandOptions {
  readonly images: readonly string[];
  readonly roots: readonly string[];
  readonly dryRun: boolean;
  readonly json: boolean;
  /** Run the cycle here even when a daemon runs. */
  readonly noDaemon?: boolean;
}

function colorKind(kind: ActionOutcome['kind'], style: Style): string {
  if (kind === 'rebased' || kind === 'rebuilt' || kind === 'pinned') return style.green(kind);
  if (kind === 'failed') return style.red(kind);
  if (kind === 'reported') return style.yellow(kind);
  return style.dim(kind);
}

/**
 * What the cycle could not see, so an exit 4 or 5 is never silent: inputs it could not read
 * (errors other than the engine's and the `named` images', which stderr names) and images whose
 * base no registry could answer about.
 */
function renderUnseen(result: CycleResult, named: readonly string[], style: Style): string[] {
  const out: string[] = [];
  const unread = result.report.errors.filter((error) => error.where !== 'engine' && !named.includes(error.where));
  if (unread.length > 0) {
    out.push('', style.yellow(`${unread.length} input(s) could not be read:`));
    for (const error of unread) out.push(`  ${error.where}: ${error.message}`);
  }
  const unchecked = result.report.images.filter((image) => image.status === 'error' || image.rateLimited === true);
  if (unchecked.length > 0 && !result.report.offline) {
    out.push('', style.yellow(`${unchecked.length} image(s) whose base could not be checked upstream:`));
    for (const image of unchecked) out.push(`  ${image.name}: ${image.reason}`);
  }
  // A Dockerfile's base that could not be checked makes the exit code 5 as an image's does (checkExitCode).
  const files = result.report.dockerfiles.flatMap((file) =>
    file.bases.filter((base) => base.status === 'error' || base.rateLimited === true).map((base) => `  ${file.path}:${base.line} ${base.ref}: ${base.reason}`),
  );
  if (files.length > 0 && !result.report.offline) {
    out.push('', style.yellow(`${files.length} Dockerfile base(s) that could not be checked upstream:`));
    out.push(...files);
  }
  return out;
}

/** The cycle for a person, long lines wrapped to `width` columns (see wrapLines; null: not wrapped). */
export function renderCycle(result: CycleResult, style: Style, named: readonly string[] = [], width: number | null = null): string {
  return wrapLines(renderCycleLines(result, style, named), width);
}

function renderCycleLines(result: CycleResult, style: Style, named: readonly string[]): string {
  const out: string[] = (result.warnings ?? []).map((warning) => style.yellow(`warning: ${warning}`));
  if (result.dryRun) {
    out.push(style.bold('Plan (dry run: nothing was changed)'));
    const rows = result.plan.map((entry) => [
      entry.image,
      entry.baseRef === null ? '-' : shortRef(entry.baseRef),
      shortDigest(entry.digest),
      describePlan(entry),
      entry.why,
    ]);
    out.push(...formatTable(['IMAGE', 'BASE', 'TO', 'ACTION', 'WHY'], rows, style).map((line) => `  ${line}`));
    out.push(...renderUnseen(result, named, style));
    return `${out.join('\n')}\n`;
  }
  const acted = result.actions;
  const skipped = result.plan.filter((entry) => entry.action.kind === 'skip');
  const engineErrors = result.report.engine === null ? result.report.errors.filter((error) => error.where === 'engine') : [];
  if (engineErrors.length > 0) {
    // Not "nothing to do": nothing could be looked at. Say why (the endpoints tried) and stop there.
    out.push(style.red('Nothing was checked or updated: no Docker engine answered.'));
    for (const error of engineErrors) out.push(`  ${error.message}`);
    out.push(style.dim('  start the engine (or set DOCKER_HOST / DOCKER_CONTEXT to the one you use), then run basewatch update again'));
    return `${out.join('\n')}\n`;
  }
  if (acted.length === 0) out.push(result.plan.length === 0 && result.report.errors.length > 0 ? 'Nothing was updated.' : 'Nothing to do.');
  for (const action of acted) {
    out.push(`${colorKind(action.kind, style)}  ${action.target}: ${action.reason}`);
    for (const warning of action.warnings ?? []) out.push(style.yellow(`    warning: ${warning}`));
    if (action.packages) {
      // The summary names the first change; the history has every one.
      const more = /\b\d+ (more|changed|added|removed)\b/.test(action.packages) ? ` (all of them: basewatch history ${action.target})` : '';
      out.push(`    packages: ${action.packages}${more}`);
    }
    if (action.containersOnOldImage.length > 0) {
      out.push(style.yellow(`    ${action.containersOnOldImage.length} container(s) still run the old image: ${action.containersOnOldImage.join(', ')}; restart them to pick it up`));
    }
    if (action.kind === 'rebased' || action.kind === 'rebuilt') out.push(style.dim(`    undo: basewatch rollback ${action.target}`));
  }
  if (skipped.length > 0) {
    out.push('', style.dim(`${skipped.length} image(s) left alone:`));
    for (const entry of skipped) out.push(style.dim(`  ${entry.image}: ${entry.why}`));
  }
  out.push(...renderUnseen(result, named, style));
  const ignored = renderIgnored(result.report, false, style);
  if (ignored !== '') out.push(ignored.trimEnd());
  return `${out.join('\n')}\n`;
}

export async function runUpdateCommand(options: UpdateCommandOptions, io: CliIo): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const settings = settingsOrExit(io);
  if (typeof settings === 'number') return settings;
  // A running daemon owns the cycles: ask it rather than race it (unless the roots are the user's own).
  const fromDaemon =
    options.roots.length === 0
      ? await cycleFromDaemon(io, cliPaths(io), { images: options.images, dryRun: options.dryRun, reason: 'basewatch update' }, options.noDaemon === true, options.json)
      : null;
  if (fromDaemon !== null) return finishCycle(fromDaemon, options, io, style);
  const progress = progressLine(io, options.json);
  let result: CycleResult;
  try {
    result = await runUpdateCycle({
      env: io.env,
      cwd: io.cwd,
      roots: options.roots.length > 0 ? options.roots : settings.roots.length > 0 ? settings.roots : ['.'],
      images: options.images,
      dryRun: options.dryRun,
      settings,
      paths: cliPaths(io),
      trigger: { kind: 'cli' },
      displayCwd: io.cwd,
      onProgress: (message) => progress.update(message),
    });
  } catch (error) {
    // The cycle records its check before it acts: when that waited in vain, nothing was done.
    if (!(error instanceof StateLockTimeoutError)) throw error;
    progress.done();
    return lockBusyExit(io, 'nothing was updated', error);
  }
  progress.done();
  return finishCycle(result, options, io, style);
}

function finishCycle(result: CycleResult, options: UpdateCommandOptions, io: CliIo, style: Style): number {
  io.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : renderCycle(result, style, options.images, wrapWidth(io.stdout, io.env)));
  if (result.report.engine === null) return EXIT.engineUnreachable;
  if (result.actions.some((action) => action.kind === 'failed')) return EXIT.failed;
  // A name that matches no local image is a typo, not "nothing to do": say so, with the close names.
  const unknown = result.report.errors.filter((error) => options.images.includes(error.where));
  if (unknown.length > 0) {
    const errStyle = createStyle(colorEnabled(io.stderr, io.env));
    for (const error of unknown) io.stderr.write(errStyle.red(`basewatch update: ${error.where}: ${error.message}\n`));
    return EXIT.partial;
  }
  // What acted did, but the cycle did not see everything: inputs it could not read (4), bases it
  // could not check upstream (5), as `check` says it.
  return checkExitCode(result.report, false);
}
