// Runs the modern Docker Engine (Engine 28 from the cached forky root, ./modern-root.ts) next to
// the primary engine, never instead of it: one dockerd per image store, each chrooted into the
// root, in a network namespace and a private mount namespace of its own, with its own data
// root, exec root, pidfile and socket. The world's registry is reachable from the engine at
// the address the tests use (127.0.0.1:P) through a pair of forwarders (./socket-forwarder.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnDockerd } from './engine.js';
import type { ModernRoot } from './modern-root.js';
import { mountsUnder, pidAlive } from './modern-root.js';
import { findExecutable, run, runChecked, sleep, stopProcess } from './process.js';
import { type Forwarder, startForwarder } from './socket-forwarder.js';

export type ModernStore = 'containerd' | 'classic';
export const MODERN_STORES: readonly ModernStore[] = ['containerd', 'classic'];

// Per-engine folders: short (containerd's socket under the exec root must fit a unix socket
// path's 108 bytes), on disk rather than tmpfs (image data), and under /var/tmp because the
// engine's mount namespace mounts a fresh tmpfs there over the shared root, so the folder's
// mount point in the root never touches the cache.
export const MODERN_RUNTIME_DIR = '/var/tmp/basewatch-modern';
const NETNS_PREFIX = 'bwme-';
const FORWARDER_READY_MS = 10_000;

export interface StartedModernEngine {
  store: ModernStore;
  /** unix://… of its socket, for DOCKER_HOST. */
  host: string;
  /** Stops dockerd and its containerd, the forwarders, deletes the netns and the engine's folder. */
  stop(): Promise<void>;
}

export interface ModernEngineOptions {
  root: ModernRoot;
  store: ModernStore;
  /** The world's registry, 127.0.0.1:P: the engine reaches it at the same address. */
  registry: string;
  runId: string;
  /** Where the logs go (the world's scratch dir, kept when a run fails). */
  logDir: string;
  log: (line: string) => void;
  /** Called with stop() before anything is set up, so an interrupted start can be undone. */
  onSpawn: (stop: () => Promise<void>) => void;
}

/**
 * The mount namespace's set-up, run by the host's sh before it execs chroot + dockerd.
 * dockerd remounts "/" for builds, so the root must be a mount point; it is read-only, so
 * concurrent engines (and runs) cannot change the cache, with fresh tmpfs over the folders an
 * engine writes. The engine's folder is bound at the same path inside, so the socket, data
 * root, exec root and pidfile have one path on both sides.
 */
const MOUNT_SCRIPT = `set -e
R=$1; D=$2; shift 2
mount --bind "$R" "$R"
mount -o remount,bind,ro "$R"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o mode=1777 tmpfs "$R/var/tmp"
mkdir -p "$R$D"
mount --bind "$D" "$R$D"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup"
mount --rbind /dev "$R/dev"
exec chroot "$R" "$@"`;

export async function startModernEngine(options: ModernEngineOptions): Promise<StartedModernEngine> {
  const { store, runId } = options;
  const registry = /^127\.0\.0\.1:(\d+)$/.exec(options.registry);
  if (!registry) throw new Error(`the modern engine reaches loopback registries only, not ${options.registry}`);
  const nsenter = findExecutable('nsenter');
  const unshare = findExecutable('unshare');
  const ip = findExecutable('ip');
  if (!nsenter || !unshare || !ip) throw new Error('the modern engine needs nsenter, unshare (util-linux) and ip (iproute2)');

  const dir = join(MODERN_RUNTIME_DIR, `${runId}-${store}`);
  const netns = `${NETNS_PREFIX}${runId}-${store}`;
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const label = `modern ${store}`;
  let netnsAdded = false;
  let hostForwarder: Forwarder | null = null;
  let nsForwarder: ChildProcess | null = null;
  let stopDockerd: (() => Promise<void>) | null = null;
  let dockerdNamespaces: string[] = [];
  let stopped: Promise<void> | null = null;

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const problems: string[] = [];
      const step = async (what: string, action: () => Promise<unknown>) => {
        try {
          await action();
        } catch (error) {
          problems.push(`${what}: ${(error as Error).message}`);
        }
      };
      await step('dockerd', async () => stopDockerd?.());
      await step('forwarder in netns', async () => nsForwarder && stopProcess(nsForwarder, 5_000));
      // dockerd stops the containerd it started; anything else still in its namespaces
      // (containerd when dockerd was killed, a shim) goes now.
      await step('leftover processes', () => killNamespaceMembers(dockerdNamespaces));
      await step('host forwarder', async () => hostForwarder?.close());
      if (netnsAdded) await step('netns', () => runChecked(ip, ['netns', 'delete', netns]));
      await step('folder', () => removeEngineDir(dir));
      if (problems.length > 0) throw new Error(`${label}: teardown incomplete: ${problems.join('; ')}`);
      options.log(`${label}: stopped`);
    })();
    return stopped;
  };
  options.onSpawn(stop);

  const started = Date.now();
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(
    join(dir, 'daemon.json'),
    `${JSON.stringify({ features: { 'containerd-snapshotter': store === 'containerd' } })}\n`,
  );

  // A namespace of its own: in the host's, a second dockerd deletes or takes over docker0
  // and cuts the primary engine's containers off. Here it makes its own docker0.
  await runChecked(ip, ['netns', 'add', netns]);
  netnsAdded = true;
  await runChecked(ip, ['-n', netns, 'link', 'set', 'lo', 'up']);

  // Registry path: engine → 127.0.0.1:P in its netns → registry.sock → 127.0.0.1:P on the host.
  const registrySocket = join(dir, 'registry.sock');
  const port = Number(registry[1]);
  hostForwarder = await startForwarder({ kind: 'unix', path: registrySocket }, { kind: 'tcp', host: '127.0.0.1', port });
  nsForwarder = await spawnNetnsForwarder({
    nsenter,
    netns,
    listen: `tcp:127.0.0.1:${port}`,
    connect: `unix:${registrySocket}`,
    logFile: join(options.logDir, `modern-${store}-forwarder.log`),
  });

  const dockerdArgs = [
    '-H', host,
    '--data-root', join(dir, 'data'),
    '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'dockerd.pid'),
    '--config-file', join(dir, 'daemon.json'),
  ];
  const engine = await spawnDockerd({
    // nsenter, unshare, sh and chroot each exec the next in place: the pid is dockerd's.
    command: nsenter,
    args: [`--net=/run/netns/${netns}`, '--', unshare, '--mount', '--propagation', 'private', '--',
      '/bin/sh', '-c', MOUNT_SCRIPT, 'sh', options.root.path, dir, '/usr/sbin/dockerd', ...dockerdArgs],
    dockerHost: host,
    logFile: join(options.logDir, `modern-${store}-dockerd.log`),
    log: (line) => options.log(line.replace(/^engine: /, `${label}: `)),
    onSpawn: (stopIt) => {
      stopDockerd = stopIt;
    },
  });
  dockerdNamespaces = namespacesOf(engine.pid);
  options.log(`${label}: ${host} (netns ${netns}) up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return { store, host, stop };
}

/** The forwarder process, in the engine's netns; resolves once it listens. */
async function spawnNetnsForwarder(options: {
  nsenter: string;
  netns: string;
  listen: string;
  connect: string;
  logFile: string;
}): Promise<ChildProcess> {
  const main = join(dirname(fileURLToPath(import.meta.url)), 'socket-forwarder-main.js');
  const fd = openSync(options.logFile, 'a');
  const child = spawn(
    options.nsenter,
    [`--net=/run/netns/${options.netns}`, '--', process.execPath, main, options.listen, options.connect],
    // Its own process group (a terminal's Ctrl-C is for the runner, which stops it in order);
    // stdin stays open: the forwarder exits when it closes, so it dies with a killed runner.
    { detached: true, stdio: ['pipe', 'pipe', fd] },
  );
  closeSync(fd);
  const lines = createInterface({ input: child.stdout! });
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => lines.once('line', (line) => resolve(line.startsWith('listening')))),
    new Promise<boolean>((resolve) => child.once('exit', () => resolve(false))),
    sleep(FORWARDER_READY_MS).then(() => false),
  ]);
  lines.close();
  child.stdout?.resume();
  if (!ready) {
    await stopProcess(child, 2_000);
    throw new Error(`the registry forwarder in netns ${options.netns} did not start; see ${options.logFile}`);
  }
  return child;
}

/** `mnt:[…]` and `net:[…]` of a process: dockerd's own namespaces, not the host's. */
function namespacesOf(pid: number): string[] {
  try {
    return ['mnt', 'net'].map((kind) => readlinkSync(`/proc/${pid}/ns/${kind}`));
  } catch {
    return [];
  }
}

/** SIGKILLs every process in one of these namespaces and waits (up to 5 s) until they are gone. */
async function killNamespaceMembers(namespaces: readonly string[]): Promise<void> {
  if (namespaces.length === 0) return;
  const members = () =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
      .filter((pid) => {
        try {
          return namespaces.some((ns) => readlinkSync(`/proc/${pid}/ns/${ns.slice(0, 3)}`) === ns);
        } catch {
          return false;
        }
      })
      .map(Number);
  for (let attempt = 0; attempt < 25; attempt++) {
    const left = members();
    if (left.length === 0) return;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await sleep(200);
  }
  throw new Error(`processes survive SIGKILL: ${members().join(', ')}`);
}

/**
 * Removes an engine's folder. Its mounts lived in the engine's private mount namespace and
 * went with it; one seen here is not ours to delete through, so refuse.
 */
async function removeEngineDir(dir: string): Promise<void> {
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`will not delete ${dir}: still mounted there: ${left.join(', ')}`);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Undoes what modern engines of dead runs left (a runner killed with SIGKILL cannot tear
 * down): their dockerd, the processes in its namespaces, their netns and folders. Run ids
 * start with the runner's pid.
 */
export async function sweepStaleModernEngines(log: (line: string) => void): Promise<void> {
  const stale = (name: string) => !pidAlive(Number(name.split('-')[0]));
  const folders = await readdir(MODERN_RUNTIME_DIR).catch(() => [] as string[]);
  for (const name of folders.filter(stale)) {
    const dir = join(MODERN_RUNTIME_DIR, name);
    const pid = Number(readFileSafe(join(dir, 'dockerd.pid')));
    // A reused pid belongs to someone else: only our dockerd has our folder on its command line.
    if (pidAlive(pid) && readFileSafe(`/proc/${pid}/cmdline`).includes(dir)) {
      const namespaces = namespacesOf(pid);
      process.kill(pid, 'SIGKILL');
      await killNamespaceMembers(namespaces).catch((error: Error) => log(`modern engine: sweep: ${error.message}`));
    }
    await removeEngineDir(dir).then(
      () => log(`modern engine: removed ${dir} of a dead run`),
      (error: Error) => log(`modern engine: sweep: ${error.message}`),
    );
  }
  const namespaces = (await readdir('/run/netns').catch(() => [] as string[])).filter((name) => name.startsWith(NETNS_PREFIX));
  for (const name of namespaces.filter((ns) => stale(ns.slice(NETNS_PREFIX.length)))) {
    await run('ip', ['netns', 'delete', name]);
    log(`modern engine: deleted netns ${name} of a dead run`);
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}
