// Which test world (engine + registry) this test process runs against, from the env the
// runner (scripts/test.mjs) sets.
import { type World, WORLD_ENV, worldFromEnv } from '../world/env.js';

export type { World } from '../world/env.js';

const isCi = () => process.env.CI === 'true';

/**
 * The world from env, or null when there is none and CI is not "true" (the caller skips).
 * Under CI=true a missing world is an error: integration tests must not silently skip there.
 */
export function getWorld(): World | null {
  const world = worldFromEnv(process.env);
  if (world === null && isCi()) {
    throw new Error(
      `no test world under CI=true: ${WORLD_ENV.dockerHost}/${WORLD_ENV.registry}/${WORLD_ENV.dir} are unset; ` +
        'run the tests through `npm test`, which provisions the Docker engine and registry',
    );
  }
  return world;
}

/** For `describe(name, { skip: skipWithoutWorld() }, …)`: false, or the reason to skip. */
export function skipWithoutWorld(): string | false {
  return getWorld() ? false : 'no test world (Docker engine + registry); run `npm test` as root with Docker available';
}

/** The world, for helpers that cannot work without one. */
export function requireWorld(): World {
  const world = getWorld();
  if (!world) {
    throw new Error('this helper needs the test world; guard the test with `{ skip: skipWithoutWorld() }`');
  }
  return world;
}

export type ModernStore = 'containerd' | 'classic';

/**
 * For `describe(name, { skip: modernEngineSkip() }, …)`: false, or why the world has no modern
 * engine. Under CI=true the runner fails when it cannot provision one, so a missing one here is an error.
 */
export function modernEngineSkip(): string | false {
  const world = getWorld();
  if (world === null) return 'no test world (Docker engine + registry); run `npm test`';
  if (world.modernContainerdHost !== null && world.modernClassicHost !== null) return false;
  if (isCi()) throw new Error('CI=true but the test world has no modern engine (npm test provisions it as root on Linux)');
  return 'the test world has no modern engine (npm test provisions it as root on Linux; see its warning)';
}

/** unix://… of the modern engine with that image store. */
export function modernEngineHost(store: ModernStore): string {
  const world = requireWorld();
  const host = store === 'containerd' ? world.modernContainerdHost : world.modernClassicHost;
  if (host === null) throw new Error('this helper needs the modern engine; guard the test with `{ skip: modernEngineSkip() }`');
  return host;
}
