// Finds the Docker engine to test against, or starts dockerd when none answers.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EngineEndpoint, parseDockerHost, pingEngine } from './engine-api.js';
import { findExecutable, sleep, stopProcess } from './process.js';
import { seconds } from './packages.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const READY_TIMEOUT_MS = 60_000;
// dockerd stops its containers on SIGTERM and gives each up to 10 s (its default shutdown timeout).
const STOP_GRACE_MS = 20_000;

export interface EngineProbe {
  dockerHost: string;
  endpoint: EngineEndpoint;
  running: boolean;
}

/** DOCKER_HOST if set, else the default socket; and whether it answers GET /_ping. */
export async function probeEngine(env: NodeJS.ProcessEnv = process.env): Promise<EngineProbe> {
  const dockerHost = env.DOCKER_HOST || DEFAULT_DOCKER_HOST;
  const endpoint = parseDockerHost(dockerHost);
  return { dockerHost, endpoint, running: await pingEngine(endpoint) };
}

export interface StartedEngine {
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts dockerd in its own process group (so a terminal's Ctrl-C reaches us, not it) and waits for the socket. */
export async function startDockerd(
  probe: EngineProbe,
  options: {
    dir: string;
    log: (line: string) => void;
    /** Called with stop() as soon as dockerd is spawned, so an interrupted start can be undone. */
    onSpawn?: (stop: () => Promise<void>) => void;
  },
): Promise<StartedEngine> {
  if (probe.dockerHost !== DEFAULT_DOCKER_HOST) {
    throw new Error(
      `DOCKER_HOST=${probe.dockerHost} does not answer GET /_ping (the world starts dockerd only for ${DEFAULT_DOCKER_HOST})`,
    );
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error(`no Docker engine answers at ${probe.dockerHost}, and starting dockerd needs root on Linux`);
  }
  const dockerd = findExecutable('dockerd');
  if (!dockerd) throw new Error('dockerd not found on PATH');
  options.log(`engine: nothing answers at ${probe.dockerHost}, starting ${dockerd}`);
  return spawnDockerd({
    command: dockerd,
    args: [],
    dockerHost: probe.dockerHost,
    logFile: join(options.dir, 'dockerd.log'),
    log: options.log,
    ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
  });
}

export interface SpawnDockerdOptions {
  /** dockerd's path, or a wrapper that execs it in place (unshare), so the pid is dockerd's. */
  command: string;
  args: readonly string[];
  /** Where it will answer, e.g. unix:///tmp/x/docker.sock; must match the -H in args, if any. */
  dockerHost: string;
  /** dockerd's stdout and stderr are appended here. */
  logFile: string;
  log: (line: string) => void;
  /** Called with stop() as soon as dockerd is spawned, so an interrupted start can be undone. */
  onSpawn?: (stop: () => Promise<void>) => void;
}

/**
 * Spawns dockerd with args in its own process group and waits until it answers GET /_ping at
 * dockerHost. Throws with the log's tail when it exits first or does not answer in time.
 */
export async function spawnDockerd(options: SpawnDockerdOptions): Promise<StartedEngine> {
  const { logFile } = options;
  const endpoint = parseDockerHost(options.dockerHost);
  const fd = openSync(logFile, 'a');
  const started = Date.now();
  const child = spawn(options.command, [...options.args], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit ${code}`));
    child.once('error', (error) => resolve(error.message));
  });
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      const how = await stopProcess(child, STOP_GRACE_MS);
      options.log(`engine: stopped dockerd (pid ${child.pid}, ${how === 'killed' ? 'SIGKILL after grace period' : 'SIGTERM'})`);
    })();
    return stopped;
  };
  options.onSpawn?.(stop);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const exit = await Promise.race([exited, sleep(250).then(() => null)]);
    if (exit !== null) {
      throw new Error(`dockerd exited (${exit}) before answering; last log lines:\n${logTail(logFile)}`);
    }
    if (await pingEngine(endpoint)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not answer at ${options.dockerHost} within ${READY_TIMEOUT_MS / 1000} s; last log lines:\n${logTail(logFile)}`);
    }
  }
  const pid = child.pid ?? -1;
  options.log(`engine: started dockerd (pid ${pid}) in ${seconds(started)}, log ${logFile}`);
  return { pid, logFile, stop };
}

/** The last lines of a log file, or "(no log)" when it cannot be read. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
