/** What most commands need first: settings and an engine, with failures printed the same way. */
import { ConfigError, loadSettings } from '../config/settings-file.js';
import type { Settings } from '../config/settings.js';
import type { EngineClient } from '../engine/docker-engine.js';
import { type BasewatchPaths, basewatchPaths } from '../config/paths.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { colorEnabled, createStyle } from './style.js';

export function cliPaths(io: CliIo): BasewatchPaths {
  return basewatchPaths(io.env as NodeJS.ProcessEnv);
}

function fail(io: CliIo, message: string): void {
  io.stderr.write(createStyle(colorEnabled(io.stderr, io.env)).red(`basewatch: ${message}\n`));
}

/** The settings, or the exit code after saying what is wrong with them. */
export function settingsOrExit(io: CliIo): Settings | number {
  try {
    return loadSettings(cliPaths(io).config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    fail(io, error.message);
    return EXIT.usage;
  }
}

/**
 * Another basewatch held a lock (the state file, the tag moves) for the whole wait: says what was
 * not done and the error's own message (which names the file, the holder's pid and what to do),
 * and returns the exit code, "failed: nothing was changed".
 */
export function lockBusyExit(io: CliIo, notDone: string, error: Error): number {
  fail(io, `${notDone}: ${error.message}`);
  return EXIT.failed;
}

/** An engine that answered, or the exit code after listing what was tried. */
export async function engineOrExit(io: CliIo): Promise<EngineClient | number> {
  try {
    // Loaded here, not with this module: commands that need no engine (`status`) use the rest.
    const { connectEngine } = await import('../engine/connect.js');
    return await connectEngine({ env: io.env as NodeJS.ProcessEnv });
  } catch (error) {
    fail(io, error instanceof Error ? error.message : String(error));
    return EXIT.engineUnreachable;
  }
}
