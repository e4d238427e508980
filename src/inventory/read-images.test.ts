import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { EngineClient, ImageDetails } from '../engine/docker-engine.js';
import { EngineError } from '../engine/engine-error.js';
import { readLocalImages } from './read-images.js';

function details(id: string, tag: string): ImageDetails {
  // Both images have the same single layer, so the linker needs their histories.
  return { id, configDigest: id, repoTags: [tag], repoDigests: [], labels: {}, diffIds: ['sha256:l1'], os: 'linux', architecture: 'amd64', variant: null, created: '', parent: null };
}

it('leaves out an image removed between the list and its history (a prune meanwhile), as after inspect', async () => {
  const images = [details('sha256:a', 'a:1'), details('sha256:b', 'b:1')];
  const engine = {
    listImages: async () => images,
    inspectImage: async (id: string) => images.find((image) => image.id === id) ?? null,
    imageSteps: async (id: string) => {
      if (id === 'sha256:b') {
        throw new EngineError({ endpoint: { host: 'unix:///x', source: 'test' } as never, operation: `read history of image ${id}`, failure: 'not-found', detail: 'No such image', statusCode: 404 });
      }
      return [{ id, createdBy: 'x', created: 1, size: 0 }];
    },
  } as unknown as EngineClient;
  const local = await readLocalImages(engine);
  assert.deepEqual(local.images.map((image) => image.id), ['sha256:a']);
  assert.deepEqual([...local.histories.keys()], ['sha256:a']);
});
