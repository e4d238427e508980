/**
 * The engine's copy of the new base, found by what the registry said of it. The classic store
 * and Podman know a pulled image by its config digest; the containerd store does not (its ID is
 * the manifest's or index's digest, and asking for the config digest answers 404), but knows it
 * by the `repo@digest` it was pulled as. Whatever answers must have the new base's very layers.
 */
import type { EngineClient, ImageDetails } from '../../engine/docker-engine.js';
import { type ImageRef, repositoryName } from '../../refs/image-ref.js';
import { type BaseConfig, configDiffIds } from './base-configs.js';
import { sameList } from './export-image.js';

export async function findLocalNewBase(engine: EngineClient, target: ImageRef, newBase: BaseConfig): Promise<ImageDetails | null> {
  const diffIds = configDiffIds(newBase.bytes);
  for (const name of [newBase.configDigest, `${repositoryName(target)}@${newBase.digest}`]) {
    const found = await engine.inspectImage(name);
    if (found !== null && sameList(found.diffIds, diffIds)) return found;
  }
  return null;
}

