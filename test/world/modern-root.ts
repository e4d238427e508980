// The root filesystem of the test world's modern Docker Engine: a minimal Debian forky
// (debootstrap minbase) with Debian's docker.io 28 installed in it. Provisioning takes minutes,
// so the root is cached in a machine-level folder outside the repository, shared by every
// checkout and run on this machine, and redone only when it is missing, partial or stale.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seconds } from './packages.js';
import { findExecutable, run, sleep } from './process.js';

/** Where the world caches what outlives a run. A clean clone on this machine reuses it. */
export const DEFAULT_CACHE_DIR = '/var/cache/basewatch-test';

// Debian 12's docker.io is Engine 20.10; forky (testing) carries 28.x.
const SUITE = 'forky';
const MIRROR = 'http://deb.debian.org/debian';
// bookworm's debootstrap has no script named forky: sid's serves any testing/unstable suite.
const DEBOOTSTRAP_SCRIPT = '/usr/share/debootstrap/scripts/sid';
export const MODERN_PACKAGES: readonly string[] = [
  'docker.io',
  'docker-cli',
  'docker-buildx',
  'containerd',
  'runc',
  'iptables',
  'ca-certificates',
];
// Archive snapshots of testing/unstable carry a Valid-Until that may have passed.
const APT_OPTIONS = ['-o', 'Acquire::Check-Valid-Until=false', '-o', 'APT::Install-Recommends=false'];
// Written last: a root without it (or with another suite or package list) is provisioned again.
const MARKER = '.basewatch-provisioned.json';
const LOCK_WAIT_MS = 20 * 60_000;
const STEP_TIMEOUT_MS = 15 * 60_000;

export interface ModernRoot {
  /** The root filesystem; read-only for its users (engines mount tmpfs over its state folders). */
  path: string;
  /** `dockerd --version` of the root, e.g. "Docker version 28.5.2+dfsg3, build …". */
  dockerdVersion: string;
}

export interface ModernRootOptions {
  /** Default DEFAULT_CACHE_DIR; the root goes to <cacheDir>/modern-engine/root. */
  cacheDir?: string;
  log: (line: string) => void;
  /** Aborting stops a provisioning under way (its process group is killed); the partial root is redone next time. */
  signal?: AbortSignal;
}

interface Marker {
  suite: string;
  packages: readonly string[];
  dockerdVersion: string;
  provisionedAt: string;
}

/**
 * The cached root, provisioned first when needed (needs root on Linux, debootstrap and the
 * network to deb.debian.org). Concurrent runs on this machine wait for one provisioning.
 */
export async function ensureModernRoot(options: ModernRootOptions): Promise<ModernRoot> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error('the modern engine needs root on Linux (debootstrap, chroot, network namespaces)');
  }
  const home = join(options.cacheDir ?? DEFAULT_CACHE_DIR, 'modern-engine');
  const path = join(home, 'root');
  await mkdir(home, { recursive: true });
  const cached = await readMarker(path);
  if (cached) return { path, dockerdVersion: cached.dockerdVersion };

  const release = await lockProvisioning(join(home, 'lock'), options);
  try {
    // Another run may have finished it while we waited for the lock.
    const done = await readMarker(path);
    if (done) return { path, dockerdVersion: done.dockerdVersion };
    return { path, dockerdVersion: await provision(home, path, options) };
  } finally {
    await release();
  }
}

async function provision(home: string, path: string, options: ModernRootOptions): Promise<string> {
  const debootstrap = findExecutable('debootstrap');
  if (!debootstrap || !existsSync(DEBOOTSTRAP_SCRIPT)) throw new Error(`debootstrap (with ${DEBOOTSTRAP_SCRIPT}) is not installed`);
  const chroot = findExecutable('chroot');
  if (!chroot) throw new Error('chroot not found on PATH');
  const partial = join(home, 'root.partial');
  const logFile = join(home, 'provision.log');
  const started = Date.now();
  options.log(`modern engine: provisioning Debian ${SUITE} with ${MODERN_PACKAGES.join(' ')} in ${home} (a few minutes, once; log ${logFile})`);
  await writeFile(logFile, `provisioning started ${new Date().toISOString()}\n`);
  // A root without its marker is what an interrupted provisioning left: start over.
  await removeRoot(path);
  await removeRoot(partial);

  const step = async (command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) => {
    await appendFile(logFile, `$ ${command} ${args.join(' ')}\n`);
    const result = await runLogged(command, args, { logFile, env, ...(options.signal ? { signal: options.signal } : {}) });
    if (result !== 0) {
      const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
      throw new Error(`modern engine provisioning: ${command} ${args.slice(0, 3).join(' ')} … failed (${result}); last lines of ${logFile}:\n${tail}`);
    }
  };
  await step(debootstrap, ['--variant=minbase', SUITE, partial, MIRROR, DEBOOTSTRAP_SCRIPT]);
  await writeFile(join(partial, 'etc/apt/sources.list'), `deb ${MIRROR} ${SUITE} main\n`);
  // Package scripts must not start services in the chroot; the world starts dockerd itself.
  await writeFile(join(partial, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await step(chroot, [partial, 'apt-get', ...APT_OPTIONS, 'update', '-qq'], aptEnv);
  await step(chroot, [partial, 'apt-get', ...APT_OPTIONS, 'install', '-y', '-qq', ...MODERN_PACKAGES], aptEnv);
  await step(chroot, [partial, 'apt-get', 'clean']);
  const version = await run(chroot, [partial, '/usr/sbin/dockerd', '--version']);
  const dockerdVersion = version.stdout.trim();
  if (version.code !== 0 || !dockerdVersion.startsWith('Docker version')) {
    throw new Error(`modern engine provisioning: dockerd --version in the new root answered ${JSON.stringify(version.stdout + version.stderr)}`);
  }
  const marker: Marker = { suite: SUITE, packages: MODERN_PACKAGES, dockerdVersion, provisionedAt: new Date().toISOString() };
  await writeFile(join(partial, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
  await rename(partial, path);
  const size = (await run('du', ['-sh', path])).stdout.split('\t')[0] ?? '?';
  options.log(`modern engine: provisioned ${dockerdVersion} in ${seconds(started)} (${size})`);
  return dockerdVersion;
}

async function readMarker(path: string): Promise<Marker | null> {
  try {
    const marker = JSON.parse(await readFile(join(path, MARKER), 'utf8')) as Marker;
    const current = marker.suite === SUITE && marker.packages.join(' ') === MODERN_PACKAGES.join(' ');
    return current && existsSync(join(path, 'usr/sbin/dockerd')) ? marker : null;
  } catch {
    return null;
  }
}

/** Mount points at or under dir, deepest first (as this process's mount namespace sees them). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' ') ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes a (partial) root. An interrupted debootstrap can leave /proc or /dev mounted inside
 * it, and a recursive delete would go through those into the host's: unmount first, and
 * refuse to delete while anything is still mounted there.
 */
async function removeRoot(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const point of mountsUnder(dir)) await run('umount', ['-l', point]).catch(() => undefined);
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`will not delete ${dir}: still mounted there: ${left.join(', ')}`);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Runs a provisioning step in a process group of its own, output appended to logFile; resolves
 * "exit N" / "signal S" text or 0. Aborting kills the whole group (debootstrap and apt-get
 * start children that a SIGTERM to the parent alone would leave running).
 */
function runLogged(
  command: string,
  args: readonly string[],
  options: { logFile: string; env: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<0 | string> {
  if (options.signal?.aborted) return Promise.reject(new Error('modern engine provisioning aborted'));
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], { detached: true, env: options.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  return new Promise((resolve, reject) => {
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const onAbort = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5_000).unref();
    };
    const timer = setTimeout(() => {
      killGroup('SIGKILL');
      reject(new Error(`${command} timed out after ${STEP_TIMEOUT_MS / 60_000} min`));
    }, STEP_TIMEOUT_MS);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error }));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) reject(new Error('modern engine provisioning aborted'));
      else resolve(code === 0 ? 0 : signal ? `signal ${signal}` : `exit ${code}`);
    });
  });
}

/**
 * A lock file holding the provisioning run's pid. A lock whose process is gone is taken over;
 * a live one is waited for (another run on this machine is provisioning the same root).
 */
async function lockProvisioning(file: string, options: ModernRootOptions): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => unlink(file).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (!pidAlive(holder)) {
      // Two waiters may both see it stale; unlinking twice is harmless and 'wx' lets one win.
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (options.signal?.aborted) throw new Error('modern engine provisioning aborted');
    if (Date.now() > deadline) throw new Error(`modern engine: pid ${holder} has held ${file} for over ${LOCK_WAIT_MS / 60_000} min`);
    if (!told) options.log(`modern engine: waiting for pid ${holder}, which is provisioning it`);
    told = true;
    await sleep(2_000);
  }
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
