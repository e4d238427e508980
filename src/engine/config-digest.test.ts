import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { pack } from 'tar-stream';
import { readConfigDigest } from './config-digest.js';

const hex = (c: string) => c.repeat(64);
const amd64 = { os: 'linux', architecture: 'amd64', variant: null };

async function archive(entries: Record<string, string>): Promise<NodeJS.ReadableStream> {
  const tar = pack();
  for (const [name, body] of Object.entries(entries)) tar.entry({ name }, body);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar) chunks.push(chunk as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

it('follows an index to this platform’s manifest and its config, skipping attestations and other platforms', async () => {
  const index = {
    manifests: [
      { digest: `sha256:${hex('b')}`, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { digest: `sha256:${hex('c')}`, platform: { os: 'unknown', architecture: 'unknown' } },
      { digest: `sha256:${hex('d')}`, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  const stream = await archive({
    [`blobs/sha256/${hex('a')}`]: JSON.stringify(index),
    [`blobs/sha256/${hex('b')}`]: JSON.stringify({ config: { digest: 'sha256:arm' } }),
    [`blobs/sha256/${hex('d')}`]: JSON.stringify({ config: { digest: 'sha256:amd' } }),
    [`blobs/sha256/${hex('e')}`]: 'layer bytes, not JSON',
  });
  assert.equal(await readConfigDigest(stream, `sha256:${hex('a')}`, amd64), 'sha256:amd');
});

it('says null when the archive never names the image’s manifest', async () => {
  const stream = await archive({ [`blobs/sha256/${hex('b')}`]: JSON.stringify({ config: { digest: 'sha256:x' } }), 'index.json': '{}' });
  assert.equal(await readConfigDigest(stream, `sha256:${hex('a')}`, amd64), null);
});
