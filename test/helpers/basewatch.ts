// Runs the basewatch CLI the way a user would: a separate node process on bin/basewatch.js.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../world/process.js';
import { getWorld } from './current-world.js';
import { makeTempDir } from './temp.js';

/** The repository root: the nearest folder above this file with bin/basewatch.js. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'basewatch.js'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find bin/basewatch.js above the test helpers');
    dir = parent;
  }
  return dir;
})();

export interface RunBasewatchOptions {
  /** Env overrides; an undefined value removes the variable (e.g. { DOCKER_HOST: undefined }). */
  env?: Record<string, string | undefined>;
  /** Working directory. Default: a new temp dir. */
  cwd?: string;
  /** BASEWATCH_HOME. Default: a new temp dir, so runs do not share config or state. */
  home?: string;
  input?: string;
  /** Default 120 000 ms; then the process is killed and the call rejects. */
  timeoutMs?: number;
}

export interface BasewatchResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The BASEWATCH_HOME it ran with. */
  home: string;
}

/**
 * Spawns `node bin/basewatch.js ...args` with NO_COLOR=1, BASEWATCH_HOME and (when there is a
 * world) DOCKER_HOST set to the test engine, and an empty DOCKER_CONFIG. Never rejects on a
 * non-zero exit: the exit code is part of what a test asserts.
 */
export async function runBasewatch(args: readonly string[], options: RunBasewatchOptions = {}): Promise<BasewatchResult> {
  const home = options.home ?? (await makeTempDir('home'));
  const result = await run(process.execPath, [join(repoRoot, 'bin', 'basewatch.js'), ...args], {
    cwd: options.cwd ?? (await makeTempDir('cwd')),
    env: basewatchEnv(home, options),
    ...(options.input !== undefined ? { input: options.input } : {}),
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  return { ...result, home };
}

/** The environment runBasewatch gives basewatch (see there). */
function basewatchEnv(home: string, options: RunBasewatchOptions): NodeJS.ProcessEnv {
  const world = getWorld();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('BASEWATCH_') && !key.startsWith('BASEWATCH_TEST_')) delete env[key];
  }
  delete env.DOCKER_CONTEXT;
  delete env.FORCE_COLOR;
  Object.assign(env, {
    BASEWATCH_HOME: home,
    NO_COLOR: '1',
    DOCKER_CONFIG: world ? join(world.dir, 'docker-config') : join(home, '.docker-config-absent'),
  });
  if (world) env.DOCKER_HOST = world.dockerHost;
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** What a terminal showed: the raw bytes basewatch wrote to stderr in a pseudo-terminal. */
export interface TerminalResult extends BasewatchResult {
  /** Everything written to the terminal (stderr), control sequences included. */
  terminal: string;
}

/**
 * Runs basewatch as runBasewatch does, but with stderr on a pseudo-terminal `columns` wide
 * (util-linux `script`), as a person at a terminal sees it; stdout goes to a file, so `terminal`
 * holds only what stderr wrote, and `stdout` what stdout did.
 */
export async function runBasewatchInTerminal(
  args: readonly string[],
  options: RunBasewatchOptions & { columns: number },
): Promise<TerminalResult> {
  const home = options.home ?? (await makeTempDir('home'));
  const out = join(await makeTempDir('tty-out'), 'stdout');
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, join(repoRoot, 'bin', 'basewatch.js'), ...args].map(quote).join(' ');
  const env = basewatchEnv(home, options);
  env.COLUMNS = String(options.columns);
  const result = await run('script', ['-qfec', `stty cols ${options.columns} rows 24; exec ${command} >${quote(out)}`, '/dev/null'], {
    cwd: options.cwd ?? (await makeTempDir('cwd')),
    env,
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  const stdout = await readFile(out, 'utf8').catch(() => '');
  return { code: result.code, signal: result.signal, stdout, stderr: result.stderr, terminal: result.stdout, home };
}
