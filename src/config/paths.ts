import os from 'node:os';
import path from 'node:path';

/**
 * Where basewatch keeps its files. `BASEWATCH_HOME` puts everything under one folder (tests and
 * scripts use it); otherwise platform conventions apply: XDG base directories on Linux and other
 * Unix, ~/Library on macOS, %APPDATA%/%LOCALAPPDATA% on Windows.
 */
export interface BasewatchPaths {
  /** conf's config file lives here. */
  readonly config: string;
  /** State file and history journal: losing these loses what basewatch knows. */
  readonly state: string;
  /** Registry tag lists and other data that can be fetched again. */
  readonly cache: string;
  /** The daemon's pid file and control socket: gone after a reboot, and that is fine. */
  readonly runtime: string;
  /** Rotated daemon logs. */
  readonly logs: string;
  /** What decided these paths, for `basewatch doctor` and error messages. */
  readonly source: 'BASEWATCH_HOME' | 'platform';
}

export interface PathsInput {
  readonly env: NodeJS.ProcessEnv;
  readonly platform: NodeJS.Platform;
  readonly homedir: string;
  readonly uid: number | null;
  readonly tmpdir: string;
}

const APP = 'basewatch';

/** Pure: computes the folders from the environment, without touching the disk. */
export function resolvePaths(input: PathsInput): BasewatchPaths {
  const { env, platform, homedir } = input;
  const home = env.BASEWATCH_HOME;
  if (home !== undefined && home !== '') {
    const root = path.resolve(home);
    return {
      config: path.join(root, 'config'),
      state: path.join(root, 'state'),
      cache: path.join(root, 'cache'),
      runtime: path.join(root, 'run'),
      logs: path.join(root, 'logs'),
      source: 'BASEWATCH_HOME',
    };
  }
  if (platform === 'darwin') {
    const library = path.join(homedir, 'Library');
    return {
      config: path.join(library, 'Preferences', APP),
      state: path.join(library, 'Application Support', APP),
      cache: path.join(library, 'Caches', APP),
      runtime: path.join(input.tmpdir, `${APP}-${input.uid ?? 'user'}`),
      logs: path.join(library, 'Logs', APP),
      source: 'platform',
    };
  }
  if (platform === 'win32') {
    const roaming = env.APPDATA ?? path.join(homedir, 'AppData', 'Roaming');
    const local = env.LOCALAPPDATA ?? path.join(homedir, 'AppData', 'Local');
    return {
      config: path.join(roaming, APP, 'config'),
      state: path.join(local, APP, 'state'),
      cache: path.join(local, APP, 'cache'),
      runtime: path.join(local, APP, 'run'),
      logs: path.join(local, APP, 'logs'),
      source: 'platform',
    };
  }
  // XDG says relative values must be ignored.
  const xdg = (name: string, fallback: string): string => {
    const value = env[name];
    return value !== undefined && path.isAbsolute(value) ? value : fallback;
  };
  const state = path.join(xdg('XDG_STATE_HOME', path.join(homedir, '.local', 'state')), APP);
  const runtimeBase = env.XDG_RUNTIME_DIR;
  return {
    config: path.join(xdg('XDG_CONFIG_HOME', path.join(homedir, '.config')), APP),
    state,
    cache: path.join(xdg('XDG_CACHE_HOME', path.join(homedir, '.cache')), APP),
    // Without XDG_RUNTIME_DIR (no login session, e.g. cron) fall back to a private folder in state.
    runtime:
      runtimeBase !== undefined && path.isAbsolute(runtimeBase) ? path.join(runtimeBase, APP) : path.join(state, 'run'),
    logs: path.join(state, 'logs'),
    source: 'platform',
  };
}

/** The paths for this process. */
export function basewatchPaths(env: NodeJS.ProcessEnv = process.env): BasewatchPaths {
  return resolvePaths({
    env,
    platform: process.platform,
    homedir: os.homedir(),
    uid: typeof process.getuid === 'function' ? process.getuid() : null,
    tmpdir: os.tmpdir(),
  });
}
