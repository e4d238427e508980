// A Docker engine of one test's own: a second dockerd with its own data root, exec root,
// socket and network namespace, which the test may stop and start again. The shared test
// engine must never be restarted: other test files use it at the same time.
import { readFileSync } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type StartedEngine, logTail, spawnDockerd } from '../world/engine.js';
import { findExecutable, run } from '../world/process.js';
import { getWorld } from './current-world.js';

export interface PrivateEngine {
  /** unix://… of its socket, for DOCKER_HOST. */
  readonly host: string;
  readonly logFile: string;
  /** Starts dockerd (again) on the same data root and socket; resolves once it answers /_ping. */
  start(): Promise<void>;
  /** SIGTERM, and waits until dockerd has exited. */
  stop(): Promise<void>;
  /** The last lines of dockerd's log, for failure messages. */
  logTail(lines?: number): string;
  /** Stops dockerd and removes its folders; throws when mounts under them survive. */
  dispose(): Promise<void>;
}

/**
 * For `describe(name, { skip: privateEngineSkip() }, …)`: false, or why a private dockerd cannot
 * run here. Under CI=true with the test world up, a machine that cannot run one is an error.
 */
export function privateEngineSkip(): string | false {
  const world = getWorld();
  if (world === null) return 'no test world (Docker engine + registry); run `npm test` as root with Docker available';
  let reason: string | null = null;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) reason = 'a private dockerd needs root on Linux';
  else if (findExecutable('dockerd') === null) reason = 'dockerd not found on PATH';
  else if (findExecutable('unshare') === null) reason = 'unshare (util-linux) not found on PATH';
  if (reason === null) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and the test world is up, but ${reason}`);
  return reason;
}

/**
 * Starts a dockerd of this test's own in a network namespace of its own: it cannot reach the
 * test registry (pull nothing; `docker load` or import into it), and it cannot touch the host's
 * networking. The socket is a file, so it is reachable from here all the same.
 */
export async function startPrivateEngine(): Promise<PrivateEngine> {
  const dockerd = findExecutable('dockerd');
  const unshare = findExecutable('unshare');
  if (dockerd === null || unshare === null) throw new Error('startPrivateEngine needs dockerd and unshare on PATH');
  // Directly under /tmp, short: containerd's socket lives under the exec root and a unix
  // socket path may not exceed 108 bytes.
  const dir = await mkdtemp('/tmp/bwpe-');
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const logFile = join(dir, 'dockerd.log');
  const execRoot = join(dir, 'exec');
  const config = join(dir, 'daemon.json');
  // Its own empty config file: /etc/docker/daemon.json belongs to the shared engine.
  await writeFile(config, '{}\n');
  // A network namespace of its own (unshare execs dockerd in place: the pid we signal is
  // dockerd's). In the host's, --bridge=none deletes the host's docker0 (dockerd's
  // removeDefaultBridgeInterface) and the shared engine's containers lose their network.
  const args = [
    '--net',
    '--',
    dockerd,
    '--config-file', config,
    '--data-root', join(dir, 'data'),
    '--exec-root', execRoot,
    '--pidfile', join(dir, 'dockerd.pid'),
    '-H', host,
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
  ];
  const note = (line: string) => void appendFile(logFile, `--- test: ${line}\n`).catch(() => undefined);
  let current: StartedEngine | null = null;

  const engine: PrivateEngine = {
    host,
    logFile,
    async start() {
      if (current !== null) throw new Error('the private engine is already running');
      // spawnDockerd stops a dockerd that does not answer in time; one that exited needs nothing.
      current = await spawnDockerd({ command: unshare, args, dockerHost: host, logFile, log: note });
    },
    async stop() {
      const running = current;
      current = null;
      await running?.stop();
    },
    logTail: (lines = 30) => logTail(logFile, lines),
    async dispose() {
      await engine.stop();
      stopLeftoverContainerd(execRoot);
      await removeDir(dir);
    },
  };
  try {
    await engine.start();
  } catch (error) {
    await engine.dispose().catch(() => undefined);
    throw error;
  }
  return engine;
}

/**
 * dockerd stops the containerd it started, and containerd dies with it (PDEATHSIG) when dockerd
 * is killed; this catches the case where neither happened, by the pid file under our exec root.
 */
function stopLeftoverContainerd(execRoot: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(join(execRoot, 'containerd', 'containerd.pid'), 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  // A reused pid belongs to someone else: only ours names our exec root.
  if (cmdline.includes(execRoot)) process.kill(pid, 'SIGKILL');
}

/** Mount points at or under dir, deepest first. */
function mountsUnder(dir: string): string[] {
  const text = readFileSync('/proc/self/mounts', 'utf8');
  return text
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

async function removeDir(dir: string): Promise<void> {
  // A stopped dockerd unmounts its data root itself; these are what a killed one left.
  for (const point of mountsUnder(dir)) await run('umount', ['-l', point]).catch(() => undefined);
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (error) {
    const left = mountsUnder(dir);
    const why = left.length > 0 ? `mounts are still there: ${left.join(', ')}` : (error as Error).message;
    throw new Error(`cannot remove the private engine's folder ${dir}: ${why}`, { cause: error });
  }
}
