// Brings up the test world (Docker engine + loopback registry + scratch dir) and takes it
// down again. Used by scripts/test.mjs; tests see the result through env vars (./env.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTestArtifacts } from './cleanup.js';
import { type EngineEndpoint, parseDockerHost } from './engine-api.js';
import { probeEngine, startDockerd } from './engine.js';
import { LEDGER_FILE, type World, worldToEnv } from './env.js';
import { MODERN_STORES, type ModernStore, startModernEngine, sweepStaleModernEngines } from './modern-engine.js';
import { DEFAULT_CACHE_DIR, ensureModernRoot } from './modern-root.js';
import { STATIC_BUSYBOX, ensurePackages, seconds } from './packages.js';
import { startPodman } from './podman.js';
import { startRegistry } from './registry.js';

export { type World, worldToEnv } from './env.js';

export interface WorldOptions {
  /** Parent of the run's scratch dir. Default: the OS temp dir. */
  baseDir?: string;
  /** Progress lines ("engine: …", "registry: …"). Default: none. */
  log?: (line: string) => void;
  /** Environment to read DOCKER_HOST from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * The modern engine (Engine 28, one dockerd per image store; ./modern-engine.ts): 'require'
   * fails start() when it cannot be provisioned or started, 'try' logs a warning and leaves it
   * out, 'off' leaves it out. Default 'off'.
   */
  modernEngine?: 'require' | 'try' | 'off';
  /** Machine-level cache for what outlives a run (the modern engine's root). Default /var/cache/basewatch-test. */
  cacheDir?: string;
}

export interface TeardownOptions {
  /** Keep the *.log files of the scratch dir (for a failed run). Default false. */
  keepLogs?: boolean;
}

export interface WorldController {
  /** Brings the world up. On failure, what was started is still undone by teardown(). */
  start(): Promise<World>;
  /** Undoes whatever start() got to, in reverse order; safe to call at any time and more than once. */
  teardown(options?: TeardownOptions): Promise<void>;
  /** The scratch dir, known before start() finishes. */
  readonly dir: string;
}

export function createWorld(options: WorldOptions = {}): WorldController {
  const log = options.log ?? (() => {});
  const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = join(options.baseDir ?? tmpdir(), `world-${runId}`);
  const undo: Array<() => Promise<void>> = [];
  let endpoint: EngineEndpoint | null = null;
  let sweepStale = false;
  let tornDown: Promise<void> | null = null;
  // Stops a provisioning under way when teardown() comes first (a signal).
  const abort = new AbortController();

  async function start(): Promise<World> {
    const started = Date.now();
    await mkdir(join(dir, 'tmp'), { recursive: true });
    await mkdir(join(dir, 'docker-config'), { recursive: true });
    // An empty client config: the tests must not see the machine user's credentials or contexts.
    await writeFile(join(dir, 'docker-config', 'config.json'), '{}\n');

    const probe = await probeEngine(options.env ?? process.env);
    // Podman is the second engine where we can set it up (root on Linux, as in CI).
    const withPodman = process.platform === 'linux' && process.getuid?.() === 0;
    // The notification test's desktop (dbus, dunst, Xvfb, notify-send) where packages can be installed.
    await ensurePackages({ dockerd: !probe.running, podman: withPodman, desktop: withPodman }, { dir, log });
    assertOpen();
    if (probe.running) {
      log(`engine: using ${probe.dockerHost} (already running)`);
    } else {
      await startDockerd(probe, { dir, log, onSpawn: own });
    }
    endpoint = parseDockerHost(probe.dockerHost);
    sweepStale = endpoint.socketPath !== undefined;
    undo.push(cleanupEngine);

    assertOpen();
    const registry = await startRegistry({ dir, log, onSpawn: own });
    assertOpen();
    const podman = withPodman ? await startPodman({ dir, registry: registry.address, runId, log, onSpawn: own }) : null;
    if (!withPodman) log('podman: not set up (needs root on Linux); Podman tests skip');
    assertOpen();
    const modern = options.modernEngine && options.modernEngine !== 'off' ? await startModern(registry.address, options.modernEngine) : null;
    assertOpen();

    log(`world: up in ${seconds(started)} (dir ${dir})`);
    return {
      dockerHost: probe.dockerHost,
      registry: registry.address,
      dir,
      runId,
      busybox: STATIC_BUSYBOX,
      podmanHost: podman?.host ?? null,
      modernContainerdHost: modern?.containerd ?? null,
      modernClassicHost: modern?.classic ?? null,
    };
  }

  /** Both modern engines' hosts, or null (with a warning) when mode is 'try' and they cannot run here. */
  async function startModern(registry: string, mode: 'require' | 'try'): Promise<Record<ModernStore, string> | null> {
    const stops: Array<() => Promise<void>> = [];
    try {
      await ensurePackages({ dockerd: false, podman: false, debootstrap: true }, { dir, log });
      const root = await ensureModernRoot({ cacheDir: options.cacheDir ?? DEFAULT_CACHE_DIR, log, signal: abort.signal });
      assertOpen();
      await sweepStaleModernEngines(log);
      // One dockerd per store at once: each starts in under a second and holds about 130 MB
      // (dockerd and its containerd) plus its forwarder's 45 MB; both fit next to the suites.
      const engines = await Promise.all(
        MODERN_STORES.map((store) =>
          startModernEngine({
            root,
            store,
            registry,
            runId,
            logDir: dir,
            log,
            onSpawn: (stop) => {
              stops.push(stop);
              own(stop);
            },
          }),
        ),
      );
      log(`modern engine: ${root.dockerdVersion} (root ${root.path})`);
      return Object.fromEntries(engines.map((engine) => [engine.store, engine.host])) as Record<ModernStore, string>;
    } catch (error) {
      const message = (error as Error).message;
      const named = message.startsWith('modern ') ? message : `modern engine: ${message}`;
      if (mode === 'require' || tornDown) throw new Error(named, { cause: error });
      // Whatever did start is of no use without the rest; stop() is idempotent, teardown may call it again.
      for (const stop of stops) await stop().catch(() => undefined);
      log(`modern engine: WARNING: not available, its tests skip:\n${named}`);
      return null;
    }
  }

  // teardown() can run while start() is still under way (a signal): nothing may start after it.
  function assertOpen(): void {
    if (tornDown) throw new Error('world torn down while starting');
  }
  function own(stop: () => Promise<void>): void {
    if (tornDown) void stop();
    else undo.push(stop);
  }

  async function cleanupEngine(): Promise<void> {
    if (!endpoint) return;
    try {
      const result = await removeTestArtifacts(endpoint, { runId, ledgerFile: join(dir, LEDGER_FILE), sweepStale });
      log(`cleanup: removed ${result.images} images, ${result.containers} containers`);
      for (const failure of result.failed) log(`cleanup: could not remove ${failure}`);
    } catch (error) {
      log(`cleanup: failed: ${(error as Error).message}`);
    }
  }

  async function teardown(teardownOptions: TeardownOptions = {}): Promise<void> {
    tornDown ??= (async () => {
      const started = Date.now();
      abort.abort();
      // Each step is independent: one failing must not leave the others running.
      for (const step of [...undo].reverse()) {
        try {
          await step();
        } catch (error) {
          log(`teardown: ${(error as Error).message}`);
        }
      }
      const kept = await removeScratch(dir, teardownOptions.keepLogs ?? false, options.baseDir !== undefined);
      log(`world: torn down in ${seconds(started)}${kept ? ` (logs kept in ${dir})` : ''}`);
    })();
    return tornDown;
  }

  return { start, teardown, dir };
}

/** start() that tears down what it started when it fails. */
export async function provisionWorld(
  options: WorldOptions = {},
): Promise<{ world: World; env: Record<string, string>; teardown: (options?: TeardownOptions) => Promise<void> }> {
  const controller = createWorld(options);
  try {
    const world = await controller.start();
    return { world, env: worldToEnv(world), teardown: controller.teardown };
  } catch (error) {
    await controller.teardown({ keepLogs: true });
    throw error;
  }
}

/** Removes the scratch dir, or all but its logs; true when logs were kept. */
async function removeScratch(dir: string, keepLogs: boolean, ownParent: boolean): Promise<boolean> {
  let kept = false;
  if (keepLogs) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) {
      if (entry.endsWith('.log')) kept = true;
      else await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
  if (!kept) await rm(dir, { recursive: true, force: true });
  // A parent of our own (e.g. .test-world/) goes too once the last concurrent run has left it.
  if (ownParent) await rmdir(join(dir, '..')).catch(() => {});
  return kept;
}
