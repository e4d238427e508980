/**
 * `basewatch daemon`: runs in the foreground until SIGTERM/SIGINT (systemd, launchd, a terminal).
 * Logs go to stderr (journald) and to the rotated file; exit 0 after a clean stop, 2 when the
 * settings are invalid or another daemon already runs (the unit does not restart on 2).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadSettings } from '../config/settings-file.js';
import { DaemonController, daemonLogFile } from '../daemon/daemon-controller.js';
import { type LogLevel, createLogger, isLogLevel, rotatingFileSink, streamSink } from '../util/logger.js';
import { basewatchPaths } from '../config/paths.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';

export interface DaemonCommandOptions {
  /** Default: $BASEWATCH_LOG_LEVEL, else info. */
  readonly logLevel?: string;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function runDaemonCommand(options: DaemonCommandOptions, io: CliIo): Promise<number> {
  const env = io.env as NodeJS.ProcessEnv;
  const paths = basewatchPaths(env);
  const levelText = options.logLevel ?? env.BASEWATCH_LOG_LEVEL ?? 'info';
  if (!isLogLevel(levelText)) {
    io.stderr.write(`basewatch daemon: --log-level: expected debug, info, warn or error (got "${levelText}")\n`);
    return EXIT.usage;
  }
  try {
    loadSettings(paths.config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`basewatch daemon: ${error.message}\n`);
    return EXIT.usage;
  }

  const logFile = daemonLogFile(paths);
  const fileSink = rotatingFileSink(logFile);
  const logger = createLogger({ sinks: [streamSink(io.stderr), fileSink], level: levelText as LogLevel, component: 'daemon' });
  const controller = new DaemonController({ paths, env, logger, version: packageVersion(), logFile });

  let firstSignalAt: number | null = null;
  let stopRequested: (() => void) | null = null;
  const stopped = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt === null) {
      firstSignalAt = Date.now();
      logger.info('signal received: stopping', { signal });
      stopRequested?.();
      return;
    }
    // when-exit (loaded by conf → atomically) re-raises the signal it caught once, at once:
    // only a second signal from a person (Ctrl-C again) means "do not wait".
    if (Date.now() - firstSignalAt < 1_000) return;
    // A second signal: do not wait for the running cycle (its tag moves are journalled).
    logger.warn('second signal: exiting now', { signal });
    process.exit(EXIT.ok);
  };
  const onHangup = (): void => void controller.reload('SIGHUP');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHangup);

  try {
    // A signal during start-up stops it as soon as start returns.
    const started = await controller.start();
    if (!started.ok) {
      io.stderr.write(`basewatch daemon: ${started.message}\n`);
      return EXIT.usage;
    }
    await stopped;
    await controller.stop();
    return EXIT.ok;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHangup);
    fileSink.close();
    // Everything was closed; a handle some library keeps open must not keep the process (and
    // systemd's stop job) waiting.
    setTimeout(() => process.exit(process.exitCode ?? EXIT.ok), 3_000).unref();
  }
}
