import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ImageRef } from '../refs/image-ref.js';
import type { RegistryClient } from '../registry/registry-client.js';
import { registryFailure } from '../registry/registry-failure.js';
import { RegistryAnswers } from './registry-answers.js';

const ref = (tag: string): ImageRef => ({ registry: 'registry.test', repository: 'team/base', tag, digest: null });

/** A client whose answers the test scripts: a fake of the registry for this in-memory wrapper. */
function scripted(answers: Record<string, Awaited<ReturnType<RegistryClient['headManifest']>>>): RegistryClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    headManifest: async (r) => {
      asked.push(`head ${r.tag}`);
      return answers[r.tag ?? ''] ?? registryFailure('not-found', r.registry, 'no such tag');
    },
    getManifest: async (r) => registryFailure('not-found', r.registry, 'no'),
    getBlob: async (r) => registryFailure('not-found', r.registry, 'no'),
    listTags: async () => ({ ok: true, tags: ['1', '2'], truncated: false }),
    rateLimits: () => [],
    close: async () => undefined,
  };
}

it('replays what a remembered client was answered, and asks nobody', async () => {
  const answers = new RegistryAnswers();
  const client = scripted({ '1': { ok: true, digest: 'sha256:aa', mediaType: 'application/vnd.oci.image.index.v1+json', size: 10 } });
  const remembering = answers.remembering(client);
  await remembering.headManifest(ref('1'));
  await remembering.headManifest(ref('gone'));
  await remembering.listTags(ref('1'));
  const replay = answers.replaying();
  assert.deepEqual(await replay.headManifest(ref('1')), { ok: true, digest: 'sha256:aa', mediaType: 'application/vnd.oci.image.index.v1+json', size: 10 });
  assert.equal((await replay.headManifest(ref('gone')) as { kind: string }).kind, 'not-found', 'a 404 is an answer too');
  assert.deepEqual(await replay.listTags(ref('other-tag')), { ok: true, tags: ['1', '2'], truncated: false }, 'a tag list is the repository\'s');
  assert.deepEqual(client.asked, ['head 1', 'head gone']);
});

it('a question never asked, or last met with a timeout, is not answered from memory', async () => {
  const answers = new RegistryAnswers();
  const client = scripted({ slow: registryFailure('timeout', 'registry.test', 'did not answer within 5 s') });
  await answers.remembering(client).headManifest(ref('slow'));
  for (const tag of ['slow', 'never']) {
    const answer = await answers.replaying().headManifest(ref(tag));
    assert.ok(!answer.ok);
    assert.equal(answer.kind, 'unreachable');
    assert.match(answer.message, /not asked yet/);
  }
});
