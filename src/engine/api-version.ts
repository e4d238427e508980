/** Which Docker API version basewatch speaks to an engine: the lower of the engine's and ours. */

/**
 * The newest API version whose responses our schemas were written for. Against an older
 * engine we drop to its version, as the Docker CLI does; we cannot go lower than the engine
 * accepts either (Engine 29 rejects anything under 1.44), so this must stay >= 1.44.
 */
export const MAX_API_VERSION = '1.47';

/** min(engine, ours), or null (unversioned paths: the engine's default) if the engine did not say. */
export function negotiateApiVersion(engineVersion: string | null): string | null {
  if (engineVersion === null || !/^\d+\.\d+$/.test(engineVersion)) return null;
  return compareApiVersions(engineVersion, MAX_API_VERSION) < 0 ? engineVersion : MAX_API_VERSION;
}

export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
