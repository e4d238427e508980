/** `basewatch snooze [<image|base> <duration>]`: silence notifications about one image or base for a while; no arguments lists the snoozes. */
import { basewatchPaths } from '../config/paths.js';
import { loadNotifyMemory, updateNotifyMemory, withSnooze } from '../notify/notify-memory.js';
import { parseImageRef } from '../refs/image-ref.js';
import { FileLockTimeoutError } from '../util/file-lock.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';

export interface SnoozeCommandOptions {
  readonly target: string | null;
  readonly duration: string | null;
}

export async function runSnoozeCommand(options: SnoozeCommandOptions, io: CliIo, now: Date = new Date()): Promise<number> {
  const stateDir = basewatchPaths(io.env as NodeJS.ProcessEnv).state;
  if (options.target === null) {
    const memory = await loadNotifyMemory(stateDir);
    const active = memory.snoozes.filter((snooze) => Date.parse(snooze.until) > now.getTime());
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
  // The daemon may be saving what it just notified: change the file as it is, under its lock.
  const target = options.target;
  try {
    await updateNotifyMemory(stateDir, (memory) => withSnooze(memory, target, seconds, now));
  } catch (error) {
    if (!(error instanceof FileLockTimeoutError)) throw error;
    io.stderr.write(`basewatch snooze: the notification memory is busy (${error.message}); nothing was snoozed, try again\n`);
    return EXIT.failed;
  }
  const until = new Date(now.getTime() + seconds * 1000);
  io.stdout.write(
    seconds === 0
      ? `Notifications about ${options.target} are on again.\n`
      : `No notifications about ${options.target} for ${formatDuration(seconds)} (until ${until.toLocaleString()}).\n`,
  );
  return EXIT.ok;
}
