/**
 * The daemon part of `basewatch status`, as text lines (the CLI prints them): pid, uptime,
 * engine, schedule, watched folders, the last cycle.
 */
import { describeCycleProgress } from './cycle-progress.js';
import { formatDuration } from '../util/duration.js';
import type { DaemonStatus } from './control-protocol.js';
import { describeRelative, describeWhen } from '../report/when.js';

export function describeDaemonStatus(status: DaemonStatus | null, now: Date = new Date()): string[] {
  if (status === null) return ['Daemon      not running (`basewatch daemon`, or `basewatch service install`)'];
  const lines = [`Daemon      running, pid ${status.pid}, up ${formatDuration(Math.max(1, status.uptimeSeconds))}, log ${status.logFile}`];
  const engine = status.engine;
  lines.push(
    engine.state === 'connected'
      ? `Engine      ${engine.host ?? '?'} (${engine.source ?? '?'})`
      : `Engine      ${engine.state}${engine.problem === null ? '' : `: ${engine.problem}`}${engine.nextAttemptAt === null ? '' : `; next try ${describeWhen(engine.nextAttemptAt, now)}`}`,
  );
  const next = status.schedule.nextRunAt === null ? '' : `, next check ${describeWhen(status.schedule.nextRunAt, now)}`;
  lines.push(`Schedule    ${status.schedule.expression}${next}`);
  if (status.watcher.roots.length === 0) lines.push('Watching    no folders (`basewatch watch DIR`)');
  for (const root of status.watcher.roots) {
    const counts = `${root.dockerfiles} Dockerfile${root.dockerfiles === 1 ? '' : 's'}, ${root.composeFiles} compose file${root.composeFiles === 1 ? '' : 's'}`;
    lines.push(`Watching    ${root.root}: ${root.problem ?? counts}${status.watcher.state === 'starting' ? ' (still scanning)' : ''}`);
  }
  if (status.watcher.problem !== null) lines.push(`            ${status.watcher.problem}`);
  const running = status.cycles.running;
  if (running !== null) {
    const detail = running.trigger.detail === undefined ? '' : ` (${running.trigger.detail})`;
    // An older daemon's status has no progress.
    const done = running.progress === undefined ? '' : `, ${describeCycleProgress(running.progress)}`;
    lines.push(`Cycle       running since ${describeWhen(running.startedAt, now)}: ${running.trigger.kind}${detail}${done}${status.cycles.pending > 0 ? ', another one waiting' : ''}`);
  }
  const last = status.cycles.last;
  if (last !== null) {
    const done = last.actions.filter((action) => action.kind !== 'skipped').map((action) => `${action.kind} ${action.target}`);
    lines.push(`Last cycle  ${describeRelative(new Date(last.finishedAt), now)} (${last.trigger.kind}): ${last.images} images, ${last.outdated} outdated${done.length > 0 ? `; ${done.slice(0, 3).join(', ')}${done.length > 3 ? ', …' : ''}` : ''}`);
  }
  if (status.cycles.lastError !== null) lines.push(`            last cycle failed: ${status.cycles.lastError}`);
  lines.push(`Notify      desktop ${status.notifications.desktop}${status.notifications.webhook === null ? '' : `; webhook ${status.notifications.webhook}`}`);
  return lines;
}
