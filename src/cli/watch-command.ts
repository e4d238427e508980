/** `basewatch watch DIR` / `basewatch unwatch DIR`: edit settings.roots, and tell a running daemon. */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadSettings, setSetting } from '../config/config-store.js';
import { askDaemon } from '../daemon/control-client.js';
import { basewatchPaths } from '../config/paths.js';
import { missingFolder } from './config-command.js';
import { EXIT } from './exit-codes.js';
import { didYouMean } from '../refs/closest-names.js';
import type { CliIo } from './cli-io.js';

export interface WatchCommandOptions {
  readonly kind: 'watch' | 'unwatch';
  readonly dir: string;
  readonly json?: boolean;
}

function unreadable(dir: string): string | null {
  try {
    if (!fs.statSync(dir).isDirectory()) return 'is not a folder';
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
  }
}

export async function runWatchCommand(options: WatchCommandOptions, io: CliIo): Promise<number> {
  const paths = basewatchPaths(io.env as NodeJS.ProcessEnv);
  const dir = path.resolve(io.cwd, options.dir);
  let roots: string[];
  try {
    roots = loadSettings(paths.config).roots;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`basewatch ${options.kind}: ${error.message}\n`);
    return EXIT.usage;
  }
  let next: string[];
  if (options.kind === 'watch') {
    const problem = unreadable(dir);
    if (problem !== null) {
      const missing = problem === 'does not exist' ? missingFolder([dir]) : null;
      io.stderr.write(`basewatch watch: ${missing === null ? `DIR ${dir} ${problem}` : missing}; nothing was changed\n`);
      return EXIT.partial;
    }
    if (roots.includes(dir)) {
      io.stdout.write(options.json === true ? `${JSON.stringify({ dir, changed: false, roots, daemon: null }, null, 2)}\n` : `Already watching ${dir}.\n`);
      return EXIT.ok;
    }
    next = [...roots, dir];
  } else {
    if (!roots.includes(dir)) {
      io.stderr.write(`basewatch unwatch: ${dir} is not watched${didYouMean(dir, roots)} (watched: ${roots.length === 0 ? 'none' : roots.join(', ')})\n`);
      return EXIT.partial;
    }
    next = roots.filter((root) => root !== dir);
  }
  try {
    setSetting(paths.config, 'roots', JSON.stringify(next));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`basewatch ${options.kind}: ${error.message}\n`);
    return EXIT.usage;
  }
  // The daemon also notices the settings file change; asking makes it immediate and says who listened.
  const answered = await askDaemon(paths, { kind: 'reload' }).catch(() => null);
  if (options.json === true) {
    io.stdout.write(`${JSON.stringify({ dir, changed: true, roots: next, daemon: answered !== null }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(options.kind === 'watch' ? `Watching ${dir}.\n` : `No longer watching ${dir}.\n`);
  io.stdout.write(answered === null ? 'No daemon runs: start one with `basewatch daemon`\nor `basewatch service install`.\n' : 'The running daemon picked it up.\n');
  return EXIT.ok;
}
