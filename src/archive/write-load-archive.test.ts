import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { extract } from 'tar-stream';
import { ArchiveError } from './archive-error.js';
import { copyLayersOfArchive } from './copy-archive-layers.js';
import { readImageArchive } from './read-image-archive.js';
import { configFor, hex, legacyArchive, ociArchive, sha256, streamOf, tarBuffer } from './synthetic-archive.js';
import { EMPTY_FILE_DIGEST, LoadArchiveWriter, placeholderRefusal, writeLoadArchive } from './write-load-archive.js';

let workDir: string;
let baseLayer: Buffer;
let appLayer: Buffer;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'archive-write-test-'));
  baseLayer = await tarBuffer([{ name: 'etc/os-release', body: 'ID=debian\n' }, { name: 'bin/sh', body: Buffer.alloc(70_000, 7) }]);
  appLayer = await tarBuffer([{ name: 'app/main.js', body: 'console.log(1)\n' }]);
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** A Writable that takes its time, with a tiny buffer, to make backpressure bite. */
function slowSink(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setImmediate(callback);
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

async function listTar(tar: Buffer): Promise<Array<{ name: string; size: number; body: Buffer }>> {
  const parser = extract();
  const entries: Array<{ name: string; size: number; body: Buffer }> = [];
  const done = (async () => {
    for await (const entry of parser) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      entries.push({ name: entry.header.name, size: entry.header.size, body: Buffer.concat(chunks) });
    }
  })();
  parser.end(tar);
  await done;
  return entries;
}

describe('writeLoadArchive', () => {
  it('writes manifest.json, the config and one entry per layer, placeholders empty', async () => {
    const config = configFor([sha256(baseLayer), sha256(appLayer)]);
    const file = join(workDir, 'app.tar');
    await writeFile(file, appLayer);
    const { sink, bytes } = slowSink();
    const result = await writeLoadArchive(sink, {
      configBytes: config,
      repoTag: 'app:rebased',
      layers: [
        { diffId: sha256(baseLayer), source: { kind: 'placeholder' } },
        { diffId: sha256(appLayer), source: { kind: 'file', file, size: appLayer.length } },
      ],
    });
    const tar = bytes();
    assert.equal(result.bytes, tar.length);
    const entries = await listTar(tar);
    assert.deepEqual(
      entries.map((entry) => [entry.name, entry.size]),
      [
        ['manifest.json', entries[0]?.size],
        [`${hex(sha256(config))}.json`, config.length],
        [`${hex(sha256(baseLayer))}/layer.tar`, 0],
        [`${hex(sha256(appLayer))}/layer.tar`, appLayer.length],
      ],
    );
    assert.deepEqual(JSON.parse(entries[0]?.body.toString() ?? ''), [
      {
        Config: `${hex(sha256(config))}.json`,
        RepoTags: ['app:rebased'],
        Layers: [`${hex(sha256(baseLayer))}/layer.tar`, `${hex(sha256(appLayer))}/layer.tar`],
      },
    ]);
    assert.deepEqual(entries[1]?.body, config);
    assert.deepEqual(entries[3]?.body, appLayer);
  });

  it('round-trips through readImageArchive with real bytes from a file and a stream', async () => {
    const config = configFor([sha256(baseLayer), sha256(appLayer)]);
    const file = join(workDir, 'app2.tar');
    await writeFile(file, appLayer);
    const { sink, bytes } = slowSink();
    await writeLoadArchive(sink, {
      configBytes: config,
      repoTag: null,
      layers: [
        { diffId: sha256(baseLayer), source: { kind: 'stream', stream: streamOf(baseLayer, 1000), size: baseLayer.length } },
        { diffId: sha256(appLayer), source: { kind: 'file', file, size: appLayer.length } },
      ],
    });
    const image = await readImageArchive(streamOf(bytes()), { keepLayers: new Set(), spoolDir: await mkdtemp(join(workDir, 'spool-')) });
    assert.equal(image.configDigest, sha256(config));
    assert.deepEqual(image.manifest.repoTags, []);
    assert.deepEqual(
      image.layers.map((layer) => layer.diffId),
      [sha256(baseLayer), sha256(appLayer)],
    );
  });

  it('refuses layers that are not the config diff_ids', async () => {
    const { sink } = slowSink();
    await assert.rejects(
      writeLoadArchive(sink, {
        configBytes: configFor([sha256(baseLayer)]),
        repoTag: null,
        layers: [{ diffId: sha256(appLayer), source: { kind: 'placeholder' } }],
      }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'bad-spec' && /not the config's rootfs\.diff_ids/.test(error.message),
    );
  });

  it('fails, and destroys the target, when a stream is not the layer it claims to be', async () => {
    const { sink } = slowSink();
    await assert.rejects(
      writeLoadArchive(sink, {
        configBytes: configFor([sha256(baseLayer)]),
        repoTag: null,
        layers: [{ diffId: sha256(baseLayer), source: { kind: 'stream', stream: streamOf(appLayer), size: appLayer.length } }],
      }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'digest-mismatch',
    );
    assert.equal(sink.destroyed, true);
    assert.equal(sink.writableFinished, false);
  });

  it('fails when a stream is shorter than its size', async () => {
    const { sink } = slowSink();
    await assert.rejects(
      writeLoadArchive(sink, {
        configBytes: configFor([sha256(baseLayer)]),
        repoTag: null,
        layers: [{ diffId: sha256(baseLayer), source: { kind: 'stream', stream: Readable.from([baseLayer.subarray(0, 100)]), size: baseLayer.length } }],
      }),
      /expected \d+ bytes, the source gave 100/,
    );
    assert.equal(sink.destroyed, true);
  });
});

describe('copyLayersOfArchive into a LoadArchiveWriter', () => {
  it('passes the layers of a legacy save (manifest last) through and maps them by hash', async () => {
    const source = await legacyArchive({ layers: [baseLayer, appLayer] });
    const { sink, bytes } = slowSink();
    const writer = new LoadArchiveWriter(sink);
    const copied = await copyLayersOfArchive(streamOf(source.tar), writer);
    assert.deepEqual(copied, new Set(source.diffIds));
    await writer.finish(source.config, 'copy:1');
    const image = await readImageArchive(streamOf(bytes()), { keepLayers: new Set(), spoolDir: await mkdtemp(join(workDir, 'spool-')) });
    assert.deepEqual(image.manifest.repoTags, ['copy:1']);
    assert.deepEqual(
      image.layers.map((layer) => layer.diffId),
      source.diffIds,
    );
  });

  it('copies a gzip blob as is, skips an unwanted OCI blob unread, and mixes with a placeholder', async () => {
    const other = await tarBuffer([{ name: 'other', body: 'x' }]);
    const source = await ociArchive({ layers: [{ tar: baseLayer, gzip: true }, { tar: other }] });
    const { sink, bytes } = slowSink();
    const writer = new LoadArchiveWriter(sink);
    await writer.addLayer(sha256(appLayer), { kind: 'placeholder' });
    const copied = await copyLayersOfArchive(streamOf(source.tar), writer, { wanted: new Set([sha256(baseLayer)]) });
    assert.deepEqual(copied, new Set([sha256(baseLayer)]));
    const config = configFor([sha256(baseLayer), sha256(appLayer)]);
    await writer.finish(config, null);
    const entries = await listTar(bytes());
    assert.deepEqual(
      entries.map((entry) => entry.name),
      [`${hex(sha256(appLayer))}/layer.tar`, 'layer-1/layer.tar', 'manifest.json', `${hex(sha256(config))}.json`],
    );
    assert.deepEqual(JSON.parse(entries[2]?.body.toString() ?? '')[0].Layers, ['layer-1/layer.tar', `${hex(sha256(appLayer))}/layer.tar`]);
  });

  it('says which config layer was never added', async () => {
    const { sink } = slowSink();
    const writer = new LoadArchiveWriter(sink);
    await writer.addLayer(sha256(appLayer), { kind: 'placeholder' });
    await assert.rejects(
      writer.finish(configFor([sha256(baseLayer), sha256(appLayer)]), null),
      (error: unknown) => error instanceof ArchiveError && /layer 1 of 2 of the config \(sha256:[0-9a-f]{64}\) was never added/.test(error.message),
    );
    writer.abort();
  });
});

describe('placeholderRefusal', () => {
  it("recognises Engine 20.10's refusal of a placeholder, and nothing else", () => {
    const wanted = `sha256:${'ab'.repeat(32)}`;
    assert.deepEqual(placeholderRefusal(`invalid diffID for layer 3: expected "${wanted}", got "${EMPTY_FILE_DIGEST}"`), { layer: 3, diffId: wanted });
    assert.equal(placeholderRefusal(`invalid diffID for layer 0: expected "${wanted}", got "sha256:${'cd'.repeat(32)}"`), null);
    assert.equal(placeholderRefusal('unexpected EOF'), null);
  });
});
