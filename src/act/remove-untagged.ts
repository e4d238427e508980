import type { EngineClient } from '../engine/docker-engine.js';

/** Removes an image unless it has a tag (someone may have tagged it by now: then it stays). */
export async function removeUntagged(engine: EngineClient, imageId: string): Promise<boolean> {
  const found = await engine.inspectImage(imageId).catch(() => null);
  return found !== null && found.repoTags.length === 0 && (await engine.removeImage(imageId).catch(() => false));
}
