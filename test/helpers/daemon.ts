// `basewatch daemon` as a separate process the way systemd runs it, and what a test asks it over
// its control socket.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setSetting } from '../../src/config/config-store.js';
import type { SettingKey } from '../../src/config/settings.js';
import { askDaemon } from '../../src/daemon/control-client.js';
import type { DaemonStatus } from '../../src/daemon/control-protocol.js';
import type { CycleResult } from '../../src/record/cycle-result.js';
import { repoRoot } from './basewatch.js';
import { requireWorld } from './current-world.js';
import { makeTempDir } from './temp.js';

export interface Daemon {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything it wrote so far, stdout and stderr interleaved. */
  output(): string;
}

/**
 * The daemon's environment: BASEWATCH_HOME (and no other BASEWATCH_ variable), the test engine and the world's docker config, and
 * no desktop session (notifications go to a webhook, if anywhere). `extra` overrides, e.g.
 * { DOCKER_HOST: privateEngine.host }; an undefined value removes the variable.
 */
export function daemonEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const world = requireWorld();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The caller's own basewatch settings (BASEWATCH_LOG_LEVEL, a home of their own…) are not the test's.
  for (const key of Object.keys(env)) if (key.startsWith('BASEWATCH_') && !key.startsWith('BASEWATCH_TEST_')) delete env[key];
  Object.assign(env, { BASEWATCH_HOME: home, NO_COLOR: '1', DOCKER_HOST: world.dockerHost, DOCKER_CONFIG: join(world.dir, 'docker-config') });
  for (const key of ['DOCKER_CONTEXT', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'DISPLAY']) delete env[key];
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Spawns `node bin/basewatch.js daemon` with home as BASEWATCH_HOME and working folder. */
export function startDaemon(home: string, extraEnv: Record<string, string | undefined> = {}): Daemon {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'basewatch.js'), 'daemon'], { env: daemonEnv(home, extraEnv), cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output };
}

/** True until the process has exited. */
export function isRunning(daemon: Daemon): boolean {
  return daemon.child.exitCode === null && daemon.child.signalCode === null;
}

/** SIGKILLs a daemon a failed test left running (for `after`). */
export async function killDaemon(daemon: Daemon | undefined): Promise<void> {
  if (daemon === undefined || !isRunning(daemon)) return;
  daemon.child.kill('SIGKILL');
  await daemon.exited;
}

/**
 * Polls probe every 50 ms until it gives a value (not null, undefined or false) and returns it;
 * fails after timeoutMs naming what it waited for, with `context()` appended (a daemon's output,
 * an engine log). A probe that throws counts as "not yet".
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, context?: Daemon | (() => string)): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${describeContext(context)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function describeContext(context: Daemon | (() => string) | undefined): string {
  if (context === undefined) return '';
  if (typeof context === 'function') return `\n${context()}`;
  return `\n--- daemon output ---\n${context.output()}`;
}

/** The runtime folder under a BASEWATCH_HOME, where the control socket is. */
export const runtimeOf = (home: string) => ({ runtime: join(home, 'run') });

/** `status` over the control socket; null when no daemon answers. */
export const daemonStatus = (home: string): Promise<DaemonStatus | null> => askDaemon(runtimeOf(home), { kind: 'status' });

/** The last finished cycle's full result; null when none finished yet or no daemon answers. */
export const lastCycle = (home: string): Promise<CycleResult | null> => askDaemon(runtimeOf(home), { kind: 'last-cycle' });

/**
 * Waits until no cycle runs or waits, no file or engine event waits to start one, and at least
 * `completed` cycles are done; returns that status.
 */
/**
 * Waits for a moment when the daemon has nothing running, pending or waiting. On an engine shared
 * with other test files (and other users' builds) image events keep coming, and such moments can
 * be rare: the wait is long, and ends at once on a quiet engine.
 */
export function waitUntilIdle(home: string, completed = 1, context?: Daemon | (() => string)): Promise<DaemonStatus> {
  return waitFor('an idle daemon', async () => {
    const s = await daemonStatus(home);
    return s !== null && s.cycles.running === null && s.cycles.pending === 0 && (s.cycles.waitingEvents ?? 0) === 0 && s.cycles.completed >= completed ? s : null;
  }, 90_000, context);
}

/**
 * A BASEWATCH_HOME for a daemon that watches `roots`, only reports (`policy: notify`: the engine
 * is shared with other tests, whose images must not be touched), takes any new digest at once
 * and gives a registry 5 s; `more` are further settings as `basewatch config set` takes them.
 */
export async function daemonHome(prefix: string, roots: readonly string[], more: Partial<Record<SettingKey, string>> = {}): Promise<string> {
  const home = await makeTempDir(prefix);
  const settings: Partial<Record<SettingKey, string>> = { roots: JSON.stringify(roots), policy: 'notify', minimumAge: '0', registryTimeoutSeconds: '5', ...more };
  for (const [key, value] of Object.entries(settings)) setSetting(join(home, 'config'), key as SettingKey, value as string);
  return home;
}

/** A `cycle finished` line of the daemon's log: when, its trigger (with details) and its actions ("reported app:1"). */
export interface LoggedCycle {
  readonly at: string;
  readonly trigger: string;
  readonly actions: readonly string[];
}

/** Where the daemon's log under `home` ends now: cyclesLoggedSince reads what comes after. */
export function logMark(home: string): number {
  return readFileSync(join(home, 'logs', 'daemon.log'), 'utf8').length;
}

/**
 * The cycles the daemon logged as finished after `mark` (logMark), in order. What a test waits on
 * when other cycles (engine events of other tests on the shared engine) may finish after the one
 * it looks for, so the last cycle is not it.
 */
export function cyclesLoggedSince(home: string, mark: number): LoggedCycle[] {
  return readFileSync(join(home, 'logs', 'daemon.log'), 'utf8').slice(mark).split('\n')
    .filter((line) => line.includes(' cycle finished {'))
    .map((line) => {
      const data = JSON.parse(line.slice(line.indexOf('{'))) as { trigger: string; actions: string[] };
      return { at: line.slice(0, line.indexOf(' ')), trigger: data.trigger, actions: data.actions };
    });
}
