import type { EngineClient } from '../../engine/docker-engine.js';

/** Containers basewatch created to read files or smoke-test, left behind by a killed run. */
export async function removeTemporaryContainers(engine: EngineClient): Promise<void> {
  const leftovers = await engine.listContainers({ all: true, label: 'basewatch.temporary=1' }).catch(() => []);
  for (const container of leftovers) {
    if (container.state !== 'running') await engine.removeContainer(container.id).catch(() => undefined);
  }
}
