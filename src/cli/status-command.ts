/**
 * `basewatch status`: what the last check learned, from the state file, without any network call.
 * It starts about as fast as a bare `node`: the state and history are read without their schemas
 * (status-read.ts), and the daemon's quick client (node:net) is loaded only when its socket is there.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeDaemonStatus } from '../daemon/describe-status.js';
import { controlSocketPath } from '../daemon/control-socket-path.js';
import { basewatchPaths } from '../config/paths.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { renderCheck } from './render-check.js';
import { renderOptionsFor } from './render-options.js';
import { summarizeStatus } from './status-summary.js';
import { type StatusState, readMinimumAge, readStatusActions, readStatusState } from './status-read.js';
import { describeWhen } from '../report/when.js';
import { parseDuration } from '../util/duration.js';
import { renderIgnored } from './render-scope.js';
import { colorEnabled, createStyle, wrapLines, wrapWidth } from './style.js';

const RECENT_ACTIONS = 10;
const STATE_FILE_NAME = 'state.json';

/** The full read, with the schemas: a file the quick read does not plainly understand (corrupt, older). */
async function loadStateFully(stateFile: string, io: CliIo, now: Date): Promise<{ state: StatusState; warning: string | null } | number> {
  const { StateLockTimeoutError, loadState } = await import('../record/state-store.js');
  try {
    return await loadState(stateFile, now);
  } catch (error) {
    // Only a corrupt file is read under the lock (to set it aside).
    if (!(error instanceof StateLockTimeoutError)) throw error;
    return (await import('./cli-context.js')).lockBusyExit(io, 'cannot show the status', error);
  }
}

export async function runStatusCommand(options: { json: boolean; all?: boolean }, io: CliIo, now: Date = new Date()): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  const paths = basewatchPaths(io.env as NodeJS.ProcessEnv);
  const stateFile = path.join(paths.state, STATE_FILE_NAME);
  // No socket, no daemon. The daemon is asked while the files are read, so its round trip
  // overlaps them. The full client (and the schemas its answers go through) is loaded only for an
  // answer the quick read does not plainly understand.
  const socket = controlSocketPath(paths);
  const daemonAsked = existsSync(socket) ? import('../daemon/quick-status.js').then((quick) => quick.askStatusQuickly(socket, 2_000)) : Promise.resolve('none' as const);
  const actionsRead = readStatusActions(path.dirname(stateFile));
  const minimumAgeRead = options.json ? Promise.resolve(null) : readMinimumAge(paths.config);
  // Awaited below, or their failure would be an unhandled rejection when the state read ends the command first.
  for (const pending of [daemonAsked, actionsRead, minimumAgeRead]) pending.catch(() => {});
  const quick = await readStatusState(stateFile);
  const loaded = quick !== null ? { state: quick, warning: null } : await loadStateFully(stateFile, io, now);
  if (typeof loaded === 'number') return loaded;
  const { state, warning } = loaded;
  if (warning !== null) io.stderr.write(errStyle.yellow(`basewatch: warning: ${warning}\n`));
  const last = state.lastCheck;
  const allActions = await actionsRead;
  const actions = allActions.slice(-RECENT_ACTIONS);
  const quickDaemon = await daemonAsked;
  const daemon = quickDaemon === 'none' ? null : quickDaemon === 'unsure' ? await (await import('../daemon/control-client.js')).readDaemonStatus(paths) : quickDaemon;
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
  const minimumAge = last === null ? null : await minimumAgeRead;
  const summary = summarizeStatus({
    report: last?.report ?? null,
    lastCheckAt: last?.at ?? null,
    firstSeen: state.upstream,
    minimumAgeSeconds: minimumAge === null ? null : parseDuration(minimumAge),
    actions: allActions,
    daemonRunning: daemon !== null,
    now,
  });
  // Every line fits the terminal (or COLUMNS): a long action or path wraps (see wrapWidth).
  const width = wrapWidth(io.stdout, io.env);
  const say = (text: string): void => void io.stdout.write(wrapLines(text, width));
  say(`${style.bold(summary.line)}\n`);
  say(`Next: ${summary.next === 'nothing' || summary.next.startsWith('nothing:') ? summary.next : style.cyan(summary.next)}\n\n`);
  say(`${describeDaemonStatus(daemon, now).join('\n')}\n\n`);
  const recent = actions.map((move) => {
    const packages = typeof move.details['packages'] === 'string' ? ` (${move.details['packages']})` : '';
    return `  ${describeWhen(move.at, now)}  ${move.kind} ${move.image}: ${move.tags.join(', ')} → ${move.toId.slice(0, 19)}${packages}`;
  });
  if (last === null) {
    say(`No check recorded yet (state file ${stateFile}).\nRun \`basewatch check\` to ask the registries.\n`);
    if (recent.length > 0) say(`\n${style.bold('Recent actions')}\n${recent.join('\n')}\n`);
    return EXIT.ok;
  }
  say(`${style.bold('Last check')}  ${describeWhen(last.at, now)}, took ${(last.durationMs / 1000).toFixed(1)} s\n`);
  say(renderCheck(last.report, style, render) + renderIgnored(last.report, options.all === true, style, 'basewatch status'));
  const older = Object.values(state.registries).filter(
    (seen) => !last.report.registries.some((current) => current.registry === seen.registry),
  );
  for (const seen of older) {
    say(`  ${seen.registry}: ${seen.remaining ?? '?'} of ${seen.limit ?? '?'} pulls left, seen ${describeWhen(seen.seenAt, now)}\n`);
  }
  if (recent.length > 0) say(`\n${style.bold('Recent actions')}\n${recent.join('\n')}\n`);
  return EXIT.ok;
}
