/**
 * The daemon's log: fixed messages with their data in an object, one child logger per component,
 * written to stderr (journald and launchd pick it up there) and to a size-rotated file under
 * `basewatchPaths().logs`. Writes are synchronous: the daemon logs little, and a log that is
 * always on disk needs no flush on the way out (or after a crash).
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkPrivatePathSync, ensurePrivateDirSync } from './private-path.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogData = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, data?: LogData): void;
  info(message: string, data?: LogData): void;
  warn(message: string, data?: LogData): void;
  error(message: string, data?: LogData): void;
  /** A logger whose lines name `component` (after this one's). */
  child(component: string): Logger;
}

export interface LogSink {
  write(line: string): void;
  close(): void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function isLogLevel(value: string): value is LogLevel {
  return value in LEVELS;
}

/** Errors become their message (a stack in a log line is noise for users); everything else as is. */
function serialise(data: LogData): string {
  return JSON.stringify(data, (_key, value: unknown) => (value instanceof Error ? value.message : value));
}

export function formatLogLine(at: Date, level: LogLevel, component: string, message: string, data?: LogData): string {
  const tail = data === undefined || Object.keys(data).length === 0 ? '' : ` ${serialise(data)}`;
  return `${at.toISOString()} ${level} ${component}: ${message}${tail}\n`;
}

export interface LoggerOptions {
  readonly sinks: readonly LogSink[];
  /** Default `info`; BASEWATCH_LOG_LEVEL=debug in the daemon's environment shows more. */
  readonly level?: LogLevel;
  readonly component?: string;
  readonly now?: () => Date;
}

export function createLogger(options: LoggerOptions): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const now = options.now ?? (() => new Date());
  const make = (component: string): Logger => {
    const log = (level: LogLevel) => (message: string, data?: LogData) => {
      if (LEVELS[level] < threshold) return;
      const line = formatLogLine(now(), level, component, message, data);
      for (const sink of options.sinks) {
        try {
          sink.write(line);
        } catch {
          // A full disk or a closed stderr must not take the daemon down with it.
        }
      }
    };
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (name) => make(`${component}.${name}`),
    };
  };
  return make(options.component ?? 'basewatch');
}

/** A logger that drops everything (unit tests, one-shot commands). */
export const silentLogger: Logger = createLogger({ sinks: [] });

export function streamSink(stream: NodeJS.WritableStream): LogSink {
  return { write: (line) => void stream.write(line), close: () => {} };
}

export interface RotatingFileOptions {
  /** Rotate when the file would grow past this. Default 5 MiB. */
  readonly maxBytes?: number;
  /** Rotated files kept (`daemon.log.1` … `.N`). Default 3. */
  readonly keep?: number;
}

/** Appends to `file`; past `maxBytes` it becomes `file.1` (older ones shift up, the oldest goes). */
export function rotatingFileSink(file: string, options: RotatingFileOptions = {}): LogSink {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = options.keep ?? 3;
  ensurePrivateDirSync(path.dirname(file));
  checkPrivatePathSync(file, 'file');
  let fd: number | null = fs.openSync(file, 'a', 0o600);
  let size = fs.fstatSync(fd).size;
  const rotate = (): void => {
    // Forget the fd at once: a closed number can be reused by another file before we reopen.
    if (fd !== null) fs.closeSync(fd);
    fd = null;
    for (let i = keep - 1; i >= 1; i--) {
      try {
        fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    try {
      if (keep > 0) fs.renameSync(file, `${file}.1`);
      else fs.rmSync(file, { force: true });
    } catch {
      // the log was removed under us: start a new one
    }
    fd = fs.openSync(file, 'a', 0o600);
    size = 0;
  };
  return {
    write(line) {
      if (fd === null) return;
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      fs.writeSync(fd!, line);
      size += bytes;
    },
    close() {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}
