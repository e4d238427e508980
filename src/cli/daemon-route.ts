/**
 * `update` and `check --now` ask a running daemon instead of racing it. What the daemon answers
 * is trimmed to the images asked about (it may have folded the request into a cycle of its own),
 * and a shell that points at another engine than the daemon's is told so. `--no-daemon` skips it.
 */
import { askDaemon, readDaemonStatus } from '../daemon/control-client.js';
import type { RequestPositionMessage } from '../daemon/control-protocol.js';
import { describeQueuedBehind } from '../daemon/cycle-progress.js';
import type { BasewatchPaths } from '../config/paths.js';
import type { CycleResult } from '../record/cycle-result.js';
import { normalizeImageRef } from '../refs/image-ref.js';
import type { CliIo } from './cli-io.js';
import { progressLine } from './progress-line.js';
import { colorEnabled, createStyle } from './style.js';

export interface DaemonCycleRequest {
  readonly images: readonly string[];
  readonly dryRun: boolean;
  readonly reason: string;
}

function names(image: { readonly name: string; readonly tags: readonly string[]; readonly id: string }, wanted: readonly string[]): boolean {
  return wanted.some((name) => {
    const normalised = normalizeImageRef(name);
    if (image.id === name || (name.length >= 12 && image.id.replace(/^sha256:/, '').startsWith(name.replace(/^sha256:/, '')))) return true;
    return [image.name, ...image.tags].some((tag) => tag === name || (normalised !== null && normalizeImageRef(tag) === normalised));
  });
}

/** Pure: the cycle as it concerns these images only (all of it when none are named). */
export function onlyRequested(result: CycleResult, wanted: readonly string[]): CycleResult {
  if (wanted.length === 0) return result;
  const images = result.report.images.filter((image) => names(image, wanted));
  const kept = new Set(images.flatMap((image) => [image.name, image.id]));
  // A name that matches nothing stays an error, as an in-process run reports it.
  const errors = result.report.errors.filter((error) => error.where === 'engine' || wanted.includes(error.where));
  return {
    ...result,
    report: { ...result.report, images, errors },
    plan: result.plan.filter((entry) => kept.has(entry.image) || kept.has(entry.imageId)),
    actions: result.actions.filter((action) => kept.has(action.target)),
  };
}

/**
 * Pure: the progress line for where the request is in the daemon: the cycle ahead of it while it
 * waits, then its own cycle's steps as an in-process run shows them.
 */
export function describePosition(position: RequestPositionMessage): string {
  if (position.state === 'queued') return describeQueuedBehind(position.behind);
  return position.progress.phase === 'starting' && position.progress.step === 'starting' ? 'the daemon is starting it' : position.progress.step;
}

/**
 * The daemon's answer to a cycle request, or null when none runs (or `noDaemon`). While it waits,
 * a progress line on a terminal says where the request is (unless `json`).
 */
export async function cycleFromDaemon(io: CliIo, paths: BasewatchPaths, request: DaemonCycleRequest, noDaemon: boolean, json = false): Promise<CycleResult | null> {
  if (noDaemon) return null;
  const status = await readDaemonStatus(paths).catch(() => null);
  if (status === null) return null;
  const shellHost = io.env.DOCKER_HOST;
  const daemonHost = status.engine.host;
  if (shellHost !== undefined && shellHost !== '' && daemonHost !== null && shellHost !== daemonHost) {
    const err = createStyle(colorEnabled(io.stderr, io.env));
    io.stderr.write(
      err.yellow(
        `basewatch: warning: this shell's DOCKER_HOST is ${shellHost}, but the running daemon (pid ${status.pid}) uses ${daemonHost} (${status.engine.source ?? 'its own choice'}); this answer is about the daemon's engine. Add --no-daemon to run here against yours.\n`,
      ),
    );
  }
  const progress = progressLine(io, json);
  progress.update(`asking the daemon (pid ${status.pid})`);
  try {
    const answer = await askDaemon(
      paths,
      { kind: 'cycle', images: [...request.images], dryRun: request.dryRun, reason: request.reason },
      { onPosition: (position) => progress.update(describePosition(position)) },
    );
    return answer === null ? null : onlyRequested(answer, request.images);
  } finally {
    progress.done();
  }
}
