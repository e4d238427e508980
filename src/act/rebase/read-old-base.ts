import type { ImageRef } from '../../refs/image-ref.js';
import type { PlatformSpec } from '../../refs/platform.js';
import { type BaseConfig, configFromEngine, configFromRegistry } from './base-configs.js';
import { Refusal } from './rebase-run.js';
import type { RebaseDeps } from './rebase-types.js';

/** The old base's config: from the registry by the digest the link knows, else from the local copy. */
export async function readOldBase(
  deps: Pick<RebaseDeps, 'engine' | 'registry'>,
  base: { ref: string; digest: string | null; localId: string | null },
  ref: ImageRef,
  platform: PlatformSpec,
  spoolDir: string,
): Promise<BaseConfig> {
  const problems: string[] = [];
  if (base.digest !== null) {
    const fromRegistry = await configFromRegistry(deps.registry, { ...ref, tag: null, digest: base.digest }, platform);
    // The local copy is what the image was built on; the registry's must be that very image:
    // its ID is the config digest, or on the containerd store the manifest's or index's.
    if (fromRegistry.ok && (base.localId === null || fromRegistry.value.imageIds.includes(base.localId))) return fromRegistry.value;
    if (!fromRegistry.ok) problems.push(fromRegistry.message);
  }
  if (base.localId !== null) {
    const fromEngine = await configFromEngine(deps.engine, base.localId, spoolDir);
    if (fromEngine.ok) return fromEngine.value;
    problems.push(fromEngine.message);
  }
  throw new Refusal('failed', [`cannot read the config of the old base ${base.ref}: ${problems.join('; ') || 'it is neither local nor known by digest'}`]);
}
