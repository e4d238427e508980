import path from 'node:path';
import { finishLeftovers } from '../act/tag-moves/leftovers.js';
import { connectEngine } from '../engine/connect.js';
import { cycleFromDaemon } from './daemon-route.js';
import { readSeenTags } from '../pipeline/seen-tags.js';
import { recordCheck } from '../record/record-check.js';
import { readBuildLinks } from '../record/build-links.js';
import { loadImageFacts, saveImageFacts } from '../inventory/image-facts-cache.js';
import { loadProjectFiles, saveProjectFiles } from '../inventory/project-file-cache.js';
import { runCheck } from '../pipeline/run-check.js';
import type { CheckReport } from '../report/check-report.js';
import { STATE_FILE_NAME, StateLockTimeoutError } from '../record/state-store.js';
import { cliPaths, lockBusyExit, settingsOrExit } from './cli-context.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { renderCheck } from './render-check.js';
import { renderOptionsFor } from './render-options.js';
import { renderIgnored } from './render-scope.js';
import { progressLine } from './progress-line.js';
import { type Style, colorEnabled, createStyle } from './style.js';
import type { Settings } from '../config/settings.js';
import { parseDuration } from '../util/duration.js';
import { readStatusState } from './status-read.js';
import { summarizeStatus } from './status-summary.js';

export interface CheckCommandOptions {
  readonly offline: boolean;
  readonly json: boolean;
  readonly exitCode: boolean;
  readonly roots: readonly string[];
  readonly images: readonly string[];
  /** Ask a running daemon to check now (and record it) instead of racing it. */
  readonly now: boolean;
  /** Human output lists everything, not only what needs attention, and what the ignore setting left out (`--all`). */
  readonly all?: boolean;
  /** With --now: run the check here even when a daemon runs. */
  readonly noDaemon?: boolean;
}

/** Exit code for a finished report; documented in the README. */
/**
 * What to run next when the check found something outdated (an image, or a Dockerfile's local
 * base): what \`status\` would name from the same report and the same first-seen times (so a wait
 * for minimumAge is said the same way); nothing when nothing is outdated.
 */
async function renderNext(report: CheckReport, settings: Settings, stateDir: string, daemonRunning: boolean, style: Style): Promise<string> {
  const outdated = report.images.some((image) => image.status === 'outdated') || report.dockerfiles.some((file) => file.bases.some((base) => base.status === 'outdated'));
  if (!outdated) return '';
  const now = new Date();
  const state = await readStatusState(path.join(stateDir, STATE_FILE_NAME));
  const { next } = summarizeStatus({
    report,
    lastCheckAt: now.toISOString(),
    firstSeen: state?.upstream ?? {},
    minimumAgeSeconds: parseDuration(settings.minimumAge),
    actions: [],
    daemonRunning,
    now,
  });
  return next === 'nothing' ? '' : `\nNext: ${next.startsWith('nothing') ? next : style.cyan(next)}\n`;
}

export function checkExitCode(report: CheckReport, failOnOutdated: boolean): number {
  if (report.engine === null && report.errors.some((error) => error.where === 'engine')) return EXIT.engineUnreachable;
  const outdated =
    report.images.some((image) => image.status === 'outdated') ||
    report.dockerfiles.some((file) => file.bases.some((base) => base.status === 'outdated'));
  if (failOnOutdated && outdated) return EXIT.outdated;
  if (report.errors.length > 0) return EXIT.partial;
  // A rate limit (`unknown`, rateLimited) is a base that could not be checked upstream too.
  const upstreamFailed =
    report.images.some((image) => image.status === 'error' || image.rateLimited === true) ||
    report.dockerfiles.some((file) => file.bases.some((base) => base.status === 'error' || base.rateLimited === true));
  if (!report.offline && upstreamFailed) return EXIT.upstreamFailed;
  return EXIT.ok;
}

export async function runCheckCommand(options: CheckCommandOptions, io: CliIo): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  const paths = cliPaths(io);
  const settings = settingsOrExit(io);
  if (typeof settings === 'number') return settings;
  if (options.now && !options.offline && options.roots.length === 0) {
    // A dry-run cycle is a check that the daemon records, with its own roots and no action.
    const cycle = await cycleFromDaemon(io, paths, { images: options.images, dryRun: true, reason: 'basewatch check --now' }, options.noDaemon === true, options.json);
    if (cycle !== null) {
      for (const warning of cycle.warnings ?? []) io.stderr.write(errStyle.yellow(`basewatch: warning: ${warning}\n`));
      io.stdout.write(options.json ? `${JSON.stringify(cycle.report, null, 2)}\n` : renderCheck(cycle.report, style, renderOptionsFor(io, options.all === true)) + renderIgnored(cycle.report, options.all === true, style) + (await renderNext(cycle.report, settings, paths.state, true, style)));
      return checkExitCode(cycle.report, options.exitCode);
    }
  }
  // What a killed run left (a tag move half done, temp folders) is finished first, so the check
  // sees whole images; one engine connection for both (when it fails, the check reports why).
  const connecting = connectEngine({ env: io.env as NodeJS.ProcessEnv });
  const leftovers = await finishLeftovers(await connecting.catch(() => null), paths.state);
  for (const warning of leftovers) io.stderr.write(errStyle.yellow(`basewatch: warning: ${warning}\n`));
  const progress = progressLine(io, options.json);
  const started = new Date();
  const buildLinks = await readBuildLinks(paths.state);
  if (buildLinks.ok && buildLinks.warning !== undefined) io.stderr.write(errStyle.yellow(`basewatch: warning: ${buildLinks.warning}\n`));
  const imageFacts = await loadImageFacts(paths.state);
  if (imageFacts.warning !== null) io.stderr.write(errStyle.yellow(`basewatch: warning: ${imageFacts.warning}\n`));
  const projectFiles = await loadProjectFiles(paths.state);
  if (projectFiles.warning !== null) io.stderr.write(errStyle.yellow(`basewatch: warning: ${projectFiles.warning}\n`));
  const result = await runCheck({
    engine: connecting,
    roots: options.roots.length > 0 ? options.roots : ['.'],
    cwd: io.cwd,
    env: io.env,
    offline: options.offline,
    settings,
    cacheDir: paths.cache,
    images: options.images,
    seenTags: await readSeenTags(path.join(paths.state, STATE_FILE_NAME)),
    buildLinks: buildLinks.ok ? buildLinks.links : [],
    displayCwd: io.cwd,
    onProgress: (message) => progress.update(message),
    imageFacts: imageFacts.shelf,
    projectFiles: projectFiles.cache,
  });
  progress.done();
  for (const unsaved of [await saveImageFacts(paths.state, imageFacts.shelf), await saveProjectFiles(paths.state, projectFiles.cache)]) {
    if (unsaved !== null) io.stderr.write(errStyle.yellow(`basewatch: warning: ${unsaved}\n`));
  }
  let notRecorded: StateLockTimeoutError | null = null;
  if (!options.offline) {
    try {
      const partial = options.images.length > 0;
      const { warning } = await recordCheck(path.join(paths.state, STATE_FILE_NAME), { ...result, partial }, started, Date.now() - started.getTime());
      if (warning !== null) io.stderr.write(errStyle.yellow(`basewatch: warning: ${warning}\n`));
    } catch (error) {
      if (!(error instanceof StateLockTimeoutError)) throw error;
      notRecorded = error;
    }
  }
  io.stdout.write(options.json ? `${JSON.stringify(result.report, null, 2)}\n` : renderCheck(result.report, style, renderOptionsFor(io, options.all === true)) + renderIgnored(result.report, options.all === true, style) + (await renderNext(result.report, settings, paths.state, false, style)));
  // The report stands, but `status` and the update plan will not know it.
  if (notRecorded !== null) return lockBusyExit(io, 'this check was not recorded', notRecorded);
  return checkExitCode(result.report, options.exitCode);
}
