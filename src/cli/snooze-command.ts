/** `basewatch snooze [<image|base> <duration>]`: silence notifications about one image or base for a while; no arguments lists the snoozes. */
import path from 'node:path';
import { basewatchPaths } from '../config/paths.js';
import { loadNotifyMemory, snoozeCovers, updateNotifyMemory, withSnooze } from '../notify/notify-memory.js';
import { didYouMean } from '../refs/closest-names.js';
import { familiarImageRef, parseImageRef } from '../refs/image-ref.js';
import { STATE_FILE_NAME, peekState } from '../record/state-store.js';
import { FileLockTimeoutError } from '../util/file-lock.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';

export interface SnoozeCommandOptions {
  readonly target: string | null;
  readonly duration: string | null;
  readonly json?: boolean;
}

/**
 * Every name a snooze could be about: the local images' tags (when an engine answers) and the
 * images and bases of the last recorded check. Null when neither could be read: nothing to check against.
 */
async function knownNames(io: CliIo, stateDir: string): Promise<string[] | null> {
  const names: string[] = [];
  let anySource = false;
  try {
    const { connectEngine } = await import('../engine/connect.js');
    const engine = await connectEngine({ env: io.env as NodeJS.ProcessEnv });
    for (const image of await engine.listImages()) names.push(...image.repoTags);
    anySource = true;
  } catch {
    // No engine: the last check's names still say what basewatch knows of.
  }
  const state = await peekState(path.join(stateDir, STATE_FILE_NAME)).catch(() => null);
  const report = state?.lastCheck?.report ?? null;
  if (report !== null) {
    anySource = true;
    for (const image of report.images) names.push(...image.tags, ...(image.base === null ? [] : [image.base.ref]));
    for (const file of report.dockerfiles) names.push(...file.bases.map((base) => base.ref));
  }
  if (!anySource) return null;
  // As Docker prints them: what a "did you mean" should offer.
  return [...new Set(names.map((name) => {
    const parsed = parseImageRef(name);
    return parsed.ok ? familiarImageRef(parsed.ref) : name;
  }))];
}

export async function runSnoozeCommand(options: SnoozeCommandOptions, io: CliIo, now: Date = new Date()): Promise<number> {
  const stateDir = basewatchPaths(io.env as NodeJS.ProcessEnv).state;
  if (options.target === null) {
    const memory = await loadNotifyMemory(stateDir);
    const active = memory.snoozes.filter((snooze) => Date.parse(snooze.until) > now.getTime());
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify({ snoozes: active.map(({ target, until }) => ({ target, until })) }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (active.length === 0) io.stdout.write('Nothing is snoozed.\n');
    for (const snooze of active) io.stdout.write(`${snooze.target}  until ${new Date(snooze.until).toLocaleString()}\n`);
    return EXIT.ok;
  }
  if (!parseImageRef(options.target).ok) {
    io.stderr.write(`basewatch snooze: <image|base>: "${options.target}" is not an image reference such as app:dev or python:3.12-slim\n`);
    return EXIT.usage;
  }
  if (options.duration === null) {
    io.stderr.write('basewatch snooze: <duration> is missing: e.g. 30m, 8h, 7d (0 lifts a snooze)\n');
    return EXIT.usage;
  }
  const seconds = parseDuration(options.duration);
  if (seconds === null) {
    io.stderr.write(`basewatch snooze: <duration>: expected a duration such as 30m, 8h or 7d (got "${options.duration}")\n`);
    return EXIT.usage;
  }
  const target = options.target;
  const memory = await loadNotifyMemory(stateDir);
  const lifting = seconds === 0 && memory.snoozes.some((snooze) => snooze.target === target);
  if (!lifting) {
    // A typo would silence nothing and say it did: the name must be an image or a base basewatch knows.
    const known = await knownNames(io, stateDir);
    const item = (name: string) => ({ kind: 'reported' as const, target: name, baseRef: null, digest: null, reason: '', packages: null, containers: [] });
    if (known !== null && !known.some((name) => snoozeCovers(target, item(name)))) {
      io.stderr.write(
        `basewatch snooze: ${target} is neither a local image nor a base of the last check${didYouMean(target, known)}; nothing was snoozed (see docker image ls or basewatch status)\n`,
      );
      return EXIT.partial;
    }
  }
  // The daemon may be saving what it just notified: change the file as it is, under its lock.
  try {
    await updateNotifyMemory(stateDir, (current) => withSnooze(current, target, seconds, now));
  } catch (error) {
    if (!(error instanceof FileLockTimeoutError)) throw error;
    io.stderr.write(`basewatch snooze: the notification memory is busy (${error.message}); nothing was snoozed, try again\n`);
    return EXIT.failed;
  }
  const until = new Date(now.getTime() + seconds * 1000);
  if (options.json === true) {
    io.stdout.write(`${JSON.stringify({ target, until: seconds === 0 ? null : until.toISOString() }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(
    seconds === 0
      ? `Notifications about ${target} are on again.\n`
      : `No notifications about ${target} for ${formatDuration(seconds)} (until ${until.toLocaleString()}).\n`,
  );
  return EXIT.ok;
}
