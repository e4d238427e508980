// The contract between the test runner (scripts/test.mjs) and the tests: which env vars
// describe the world and which labels mark its fixtures.

/** Env vars the runner sets for the test processes. */
export const WORLD_ENV = {
  /** Docker engine to test against, e.g. unix:///var/run/docker.sock. */
  dockerHost: 'BASEWATCH_TEST_DOCKER_HOST',
  /** Plain-HTTP registry, host:port, e.g. 127.0.0.1:41234. */
  registry: 'BASEWATCH_TEST_REGISTRY',
  /** Scratch dir of this run; removed at teardown. */
  dir: 'BASEWATCH_TEST_WORLD_DIR',
  /** Id of this run; fixture images carry it in RUN_LABEL. */
  runId: 'BASEWATCH_TEST_RUN_ID',
  /** A statically linked busybox to put into fixture rootfs trees. */
  busybox: 'BASEWATCH_TEST_BUSYBOX',
  /** Podman's Docker-compatible API, e.g. unix:///…/podman.sock; unset when not part of the world. */
  podmanHost: 'BASEWATCH_TEST_PODMAN_HOST',
  /** Engine 28 with the containerd image store (unix://…); unset when not part of the world. */
  modernContainerdHost: 'BASEWATCH_TEST_MODERN_CONTAINERD_HOST',
  /** Engine 28 with the classic store (overlay2, unix://…); unset when not part of the world. */
  modernClassicHost: 'BASEWATCH_TEST_MODERN_CLASSIC_HOST',
} as const;

/** Every fixture image carries `basewatch.test=1`; images built FROM one inherit it. */
export const TEST_LABEL = 'basewatch.test';
/** Fixture images also carry the run id, so teardown removes only this run's images. */
export const RUN_LABEL = 'basewatch.test.run';

/** File in the world dir listing image refs/ids the helpers created, one a line; teardown removes them. */
export const LEDGER_FILE = 'created-images';

export interface World {
  dockerHost: string;
  registry: string;
  dir: string;
  runId: string;
  busybox: string;
  /** Null when this world has no Podman (not root on Linux). */
  podmanHost: string | null;
  /** Null when this world has no modern engine (not provisioned, not root on Linux). */
  modernContainerdHost: string | null;
  modernClassicHost: string | null;
}

export function worldToEnv(world: World): Record<string, string> {
  return {
    [WORLD_ENV.dockerHost]: world.dockerHost,
    [WORLD_ENV.registry]: world.registry,
    [WORLD_ENV.dir]: world.dir,
    [WORLD_ENV.runId]: world.runId,
    [WORLD_ENV.busybox]: world.busybox,
    ...(world.podmanHost !== null ? { [WORLD_ENV.podmanHost]: world.podmanHost } : {}),
    ...(world.modernContainerdHost !== null ? { [WORLD_ENV.modernContainerdHost]: world.modernContainerdHost } : {}),
    ...(world.modernClassicHost !== null ? { [WORLD_ENV.modernClassicHost]: world.modernClassicHost } : {}),
  };
}

/** Null when no world is described; throws when the description is partial (a runner bug). */
export function worldFromEnv(env: NodeJS.ProcessEnv): World | null {
  const dockerHost = env[WORLD_ENV.dockerHost];
  const registry = env[WORLD_ENV.registry];
  const dir = env[WORLD_ENV.dir];
  if (!dockerHost && !registry && !dir) return null;
  if (!dockerHost || !registry || !dir) {
    throw new Error(
      `partial test world in env: ${WORLD_ENV.dockerHost}, ${WORLD_ENV.registry} and ${WORLD_ENV.dir} must all be set`,
    );
  }
  return {
    dockerHost,
    registry,
    dir,
    // Starts with a live pid (this process), so a concurrent teardown does not sweep it as stale.
    runId: env[WORLD_ENV.runId] || `${process.pid}-adhoc`,
    busybox: env[WORLD_ENV.busybox] || '/bin/busybox',
    podmanHost: env[WORLD_ENV.podmanHost] || null,
    modernContainerdHost: env[WORLD_ENV.modernContainerdHost] || null,
    modernClassicHost: env[WORLD_ENV.modernClassicHost] || null,
  };
}
