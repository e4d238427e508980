/** `basewatch status`: what the last check learned, from the state file, without any network call. */
import path from 'node:path';
import { readDaemonStatus } from '../daemon/control-client.js';
import { describeDaemonStatus } from '../daemon/describe-status.js';
import { basewatchPaths } from '../config/paths.js';
import { readHistory } from '../act/tag-moves/history.js';
import { STATE_FILE_NAME, StateLockTimeoutError, loadState } from '../record/state-store.js';
import { lockBusyExit } from './cli-context.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { renderCheck } from './render-check.js';
import { renderOptionsFor } from './render-options.js';
import { summarizeStatus } from './status-summary.js';
import { describeWhen } from '../report/when.js';
import { parseDuration } from '../util/duration.js';
import { ConfigError, loadSettings } from '../config/settings-file.js';
import { renderIgnored } from './render-scope.js';
import { colorEnabled, createStyle } from './style.js';

const RECENT_ACTIONS = 10;

/** `minimumAge` from the settings, or null when they cannot be read (status still answers). */
function minimumAgeSeconds(configDir: string): number | null {
  try {
    return parseDuration(loadSettings(configDir).minimumAge);
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}

export async function runStatusCommand(options: { json: boolean; all?: boolean }, io: CliIo, now: Date = new Date()): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  const stateFile = path.join(basewatchPaths(io.env as NodeJS.ProcessEnv).state, STATE_FILE_NAME);
  let loaded;
  try {
    loaded = await loadState(stateFile, now);
  } catch (error) {
    // Only a corrupt file is read under the lock (to set it aside).
    if (!(error instanceof StateLockTimeoutError)) throw error;
    return lockBusyExit(io, 'cannot show the status', error);
  }
  const { state, warning } = loaded;
  if (warning !== null) io.stderr.write(errStyle.yellow(`basewatch: warning: ${warning}\n`));
  const last = state.lastCheck;
  const allActions = await readHistory(path.dirname(stateFile));
  const actions = allActions.slice(-RECENT_ACTIONS);
  const daemon = await readDaemonStatus(basewatchPaths(io.env as NodeJS.ProcessEnv));
  if (options.json) {
    const body = {
      daemon,
      stateFile,
      lastCheck: last === null ? null : { at: last.at, durationMs: last.durationMs },
      report: last?.report ?? null,
      registries: Object.values(state.registries),
      actions,
    };
    io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return EXIT.ok;
  }
  const render = renderOptionsFor(io, options.all === true, now);
  const paths = basewatchPaths(io.env as NodeJS.ProcessEnv);
  const summary = summarizeStatus({
    report: last?.report ?? null,
    lastCheckAt: last?.at ?? null,
    firstSeen: state.upstream,
    minimumAgeSeconds: last === null ? null : minimumAgeSeconds(paths.config),
    actions: allActions,
    daemonRunning: daemon !== null,
    now,
  });
  io.stdout.write(`${style.bold(summary.line)}\n`);
  io.stdout.write(`Next: ${summary.next === 'nothing' || summary.next.startsWith('nothing:') ? summary.next : style.cyan(summary.next)}\n\n`);
  io.stdout.write(`${describeDaemonStatus(daemon, now).join('\n')}\n\n`);
  const recent = actions.map((move) => {
    const packages = typeof move.details['packages'] === 'string' ? ` (${move.details['packages']})` : '';
    return `  ${describeWhen(move.at, now)}  ${move.kind} ${move.image}: ${move.tags.join(', ')} → ${move.toId.slice(0, 19)}${packages}`;
  });
  if (last === null) {
    io.stdout.write(`No check recorded yet (state file ${stateFile}).\nRun \`basewatch check\` to ask the registries.\n`);
    if (recent.length > 0) io.stdout.write(`\n${style.bold('Recent actions')}\n${recent.join('\n')}\n`);
    return EXIT.ok;
  }
  io.stdout.write(`${style.bold('Last check')}  ${describeWhen(last.at, now)}, took ${(last.durationMs / 1000).toFixed(1)} s\n`);
  io.stdout.write(renderCheck(last.report, style, render) + renderIgnored(last.report, options.all === true, style, 'basewatch status'));
  const older = Object.values(state.registries).filter(
    (seen) => !last.report.registries.some((current) => current.registry === seen.registry),
  );
  for (const seen of older) {
    io.stdout.write(`  ${seen.registry}: ${seen.remaining ?? '?'} of ${seen.limit ?? '?'} pulls left, seen ${describeWhen(seen.seenAt, now)}\n`);
  }
  if (recent.length > 0) io.stdout.write(`\n${style.bold('Recent actions')}\n${recent.join('\n')}\n`);
  return EXIT.ok;
}
