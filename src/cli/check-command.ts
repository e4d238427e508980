import path from 'node:path';
import { cycleFromDaemon } from './daemon-route.js';
import { readSeenTags } from '../pipeline/seen-tags.js';
import { recordCheck } from '../record/record-check.js';
import { readBuildLinks } from '../record/build-links.js';
import { runCheck } from '../pipeline/run-check.js';
import type { CheckReport } from '../report/check-report.js';
import { STATE_FILE_NAME, StateLockTimeoutError } from '../record/state-store.js';
import { cliPaths, lockBusyExit, settingsOrExit } from './cli-context.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { renderCheck } from './render-check.js';
import { renderIgnored } from './render-scope.js';
import { colorEnabled, createStyle } from './style.js';

export interface CheckCommandOptions {
  readonly offline: boolean;
  readonly json: boolean;
  readonly exitCode: boolean;
  readonly roots: readonly string[];
  readonly images: readonly string[];
  /** Ask a running daemon to check now (and record it) instead of racing it. */
  readonly now: boolean;
  /** List what the ignore setting left out, not only count it. */
  readonly all?: boolean;
  /** With --now: run the check here even when a daemon runs. */
  readonly noDaemon?: boolean;
}

/** A one-line progress note on stderr, only when a person is watching. */
export function progressReporter(io: CliIo, json: boolean): { update(message: string): void; done(): void } {
  const live = io.stderr.isTTY === true && !json;
  let shown = false;
  return {
    update(message) {
      if (!live) return;
      io.stderr.write(`\r\u001b[2K${message}…`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\u001b[2K');
    },
  };
}

/** Exit code for a finished report; documented in the README. */
export function checkExitCode(report: CheckReport, failOnOutdated: boolean): number {
  if (report.engine === null && report.errors.some((error) => error.where === 'engine')) return EXIT.engineUnreachable;
  const outdated =
    report.images.some((image) => image.status === 'outdated') ||
    report.dockerfiles.some((file) => file.bases.some((base) => base.status === 'outdated'));
  if (failOnOutdated && outdated) return EXIT.outdated;
  if (report.errors.length > 0) return EXIT.partial;
  const upstreamFailed =
    report.images.some((image) => image.status === 'error') ||
    report.dockerfiles.some((file) => file.bases.some((base) => base.status === 'error'));
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
    const cycle = await cycleFromDaemon(io, paths, { images: options.images, dryRun: true, reason: 'basewatch check --now' }, options.noDaemon === true);
    if (cycle !== null) {
      io.stdout.write(options.json ? `${JSON.stringify(cycle.report, null, 2)}\n` : renderCheck(cycle.report, style) + renderIgnored(cycle.report, options.all === true, style));
      return checkExitCode(cycle.report, options.exitCode);
    }
  }
  const progress = progressReporter(io, options.json);
  const started = new Date();
  const buildLinks = await readBuildLinks(paths.state);
  const result = await runCheck({
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
  });
  progress.done();
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
  io.stdout.write(options.json ? `${JSON.stringify(result.report, null, 2)}\n` : renderCheck(result.report, style) + renderIgnored(result.report, options.all === true, style));
  // The report stands, but `status` and the update plan will not know it.
  if (notRecorded !== null) return lockBusyExit(io, 'this check was not recorded', notRecorded);
  return checkExitCode(result.report, options.exitCode);
}
