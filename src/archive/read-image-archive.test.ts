import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ArchiveError } from './archive-error.js';
import { readImageArchive } from './read-image-archive.js';
import { hex, legacyArchive, ociArchive, sha256, streamOf, tarBuffer } from './synthetic-archive.js';

const DPKG_STATUS = 'Package: libssl3\nStatus: install ok installed\nVersion: 3.0.15-1\n';
const BIG = randomBytes(300_000);

let baseLayer: Buffer;
let appLayer: Buffer;
let workDir: string;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'archive-read-test-'));
  baseLayer = await tarBuffer([
    { name: './', type: 'directory' },
    { name: './bin/', type: 'directory' },
    { name: './bin/busybox', body: BIG, mode: 0o755 },
    { name: './bin/sh', type: 'symlink', linkname: 'busybox' },
    { name: './bin/ash', type: 'link', linkname: 'bin/busybox' },
    { name: './etc/', type: 'directory' },
    { name: './etc/os-release', body: 'ID=debian\n' },
    { name: './etc/motd', body: 'hi\n' },
    { name: './var/lib/dpkg/', type: 'directory' },
    { name: './var/lib/dpkg/status', body: DPKG_STATUS },
  ]);
  appLayer = await tarBuffer([
    { name: 'app/', type: 'directory' },
    { name: 'app/main.js', body: 'console.log(1)\n' },
    { name: 'etc/.wh.motd' },
    { name: 'srv/', type: 'directory' },
    { name: 'srv/.wh..wh..opq' },
  ]);
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function spoolDir(): Promise<string> {
  return mkdtemp(join(workDir, 'spool-'));
}

describe('readImageArchive, legacy layout', () => {
  it('reads a save whose manifest.json comes last, and spools only the kept layer', async () => {
    const { tar, config, diffIds } = await legacyArchive({ layers: [baseLayer, appLayer] });
    const dir = await spoolDir();
    let progress = 0;
    const image = await readImageArchive(streamOf(tar), {
      keepLayers: new Set([sha256(appLayer)]),
      spoolDir: dir,
      onProgress: (bytes) => {
        progress += bytes;
      },
    });
    assert.equal(progress, tar.length);
    assert.deepEqual(image.manifest.repoTags, ['app:1']);
    assert.equal(image.manifest.config, `${hex(sha256(config))}.json`);
    assert.deepEqual(image.configBytes, config);
    assert.equal(image.configDigest, sha256(config));
    assert.deepEqual(
      image.layers.map((layer) => layer.diffId),
      diffIds,
    );
    assert.equal(image.layers[0]?.size, baseLayer.length);

    const base = image.layers[0];
    assert.ok(base);
    assert.deepEqual(
      base.entries.map((entry) => `${entry.type} ${entry.path}`),
      ['dir bin', 'file bin/busybox', 'symlink bin/sh', 'hardlink bin/ash', 'dir etc', 'file etc/os-release', 'file etc/motd', 'dir var/lib/dpkg', 'file var/lib/dpkg/status'],
    );
    assert.equal(base.entries.find((entry) => entry.path === 'bin/sh')?.linkname, 'busybox');
    assert.equal(base.entries.find((entry) => entry.path === 'bin/busybox')?.mode, 0o755);
    assert.equal(base.captured.get('var/lib/dpkg/status')?.toString(), DPKG_STATUS);
    assert.equal(base.captured.get('etc/os-release')?.toString(), 'ID=debian\n');
    assert.equal(base.captured.has('bin/busybox'), false);

    const app = image.layers[1];
    assert.ok(app);
    assert.deepEqual(
      app.entries.map((entry) => [entry.path, entry.whiteout]),
      [
        ['app', null],
        ['app/main.js', null],
        ['etc/motd', 'whiteout'],
        ['srv', null],
        ['srv', 'opaque'],
      ],
    );

    assert.deepEqual([...image.kept.keys()], [sha256(appLayer)]);
    const kept = image.kept.get(sha256(appLayer));
    assert.equal(kept?.size, appLayer.length);
    assert.deepEqual(await readdir(dir), [`${hex(sha256(appLayer))}.tar`]);
    assert.deepEqual(await readFile(kept?.file ?? ''), appLayer);
  });

  it('spools no layer above maxSpoolBytes, even one it was asked to keep', async () => {
    const { tar } = await legacyArchive({ layers: [baseLayer, appLayer] });
    const dir = await spoolDir();
    const bound = appLayer.length + 1;
    assert.ok(baseLayer.length > bound);
    const image = await readImageArchive(streamOf(tar), {
      keepLayers: new Set([sha256(appLayer), sha256(baseLayer)]),
      spoolDir: dir,
      maxSpoolBytes: bound,
    });
    assert.deepEqual([...image.kept.keys()], [sha256(appLayer)]);
    assert.deepEqual(await readdir(dir), [`${hex(sha256(appLayer))}.tar`]);
    assert.deepEqual(image.layers.map((layer) => layer.diffId), [sha256(baseLayer), sha256(appLayer)], 'still scanned');
  });

  it('reads the same save with manifest.json first', async () => {
    const { tar, diffIds } = await legacyArchive({ layers: [baseLayer, appLayer], manifestFirst: true });
    const dir = await spoolDir();
    const image = await readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: dir });
    assert.deepEqual(
      image.layers.map((layer) => layer.diffId),
      diffIds,
    );
    assert.equal(image.kept.size, 0);
    assert.deepEqual(await readdir(dir), []);
  });

  it('follows a layer.tar symlink to the layer written under another id', async () => {
    const { tar: plain, diffIds } = await legacyArchive({ layers: [baseLayer], repoTags: ['a:1'] });
    // Re-pack with an extra dir whose layer.tar links to the first one, listed by the manifest.
    const image = await readImageArchive(streamOf(plain), { keepLayers: new Set(), spoolDir: await spoolDir() });
    const realPath = image.manifest.layers[0] ?? '';
    const config = image.configBytes;
    const tar = await tarBuffer([
      { name: realPath, body: baseLayer },
      { name: 'f'.repeat(64) + '/layer.tar', type: 'symlink', linkname: `../${realPath}` },
      { name: `${hex(sha256(config))}.json`, body: config },
      { name: 'manifest.json', body: JSON.stringify([{ Config: `${hex(sha256(config))}.json`, RepoTags: null, Layers: ['f'.repeat(64) + '/layer.tar'] }]) },
    ]);
    const linked = await readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: await spoolDir() });
    assert.deepEqual(
      linked.layers.map((layer) => layer.diffId),
      diffIds,
    );
    assert.deepEqual(linked.manifest.repoTags, []);
  });

  it('names the missing layer, and removes what it spooled', async () => {
    const { tar } = await legacyArchive({ layers: [baseLayer, appLayer], omitLayer: 0 });
    const dir = await spoolDir();
    await assert.rejects(
      readImageArchive(streamOf(tar), { keepLayers: new Set([sha256(appLayer)]), spoolDir: dir }),
      (error: unknown) =>
        error instanceof ArchiveError &&
        error.problem === 'missing-layer' &&
        /layer 1 of 2 \([0-9a-f]{64}\/layer\.tar\) listed in the manifest is missing/.test(error.message),
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('says where a truncated stream ends', async () => {
    const { tar } = await legacyArchive({ layers: [baseLayer, appLayer] });
    const dir = await spoolDir();
    // Cut inside the base layer's busybox (the first big entry).
    const cut = tar.subarray(0, 200_000);
    await assert.rejects(
      readImageArchive(streamOf(cut), { keepLayers: new Set([sha256(baseLayer)]), spoolDir: dir }),
      (error: unknown) =>
        error instanceof ArchiveError && error.problem === 'truncated' && /ended early in entry ".*layer\.tar"/.test(error.message),
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('says the manifest is missing when the stream stops between entries', async () => {
    const tar = await tarBuffer([{ name: `${'a'.repeat(64)}/layer.tar`, body: appLayer }]);
    await assert.rejects(
      readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: await spoolDir() }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'no-manifest' && /no manifest\.json or index\.json/.test(error.message),
    );
  });

  it('rejects what is not a tar, and an empty stream', async () => {
    await assert.rejects(
      readImageArchive(streamOf(Buffer.from('{"message":"No such image: app:1"}\n'.repeat(40))), { keepLayers: new Set(), spoolDir: await spoolDir() }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'not-a-tar' && /is not a tar archive/.test(error.message),
    );
    await assert.rejects(
      readImageArchive(streamOf(Buffer.alloc(0)), { keepLayers: new Set(), spoolDir: await spoolDir() }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'truncated' && /empty/.test(error.message),
    );
  });

  it('checks the config against its name and the layers against rootfs.diff_ids', async () => {
    const wrongDiffIds = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [sha256(appLayer), sha256(baseLayer)] } }));
    const { tar } = await legacyArchive({ layers: [baseLayer, appLayer], config: wrongDiffIds });
    await assert.rejects(
      readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: await spoolDir() }),
      (error: unknown) =>
        error instanceof ArchiveError && error.problem === 'digest-mismatch' && /layer 1 of 2 .* hashes to sha256:[0-9a-f]{64} but the config lists/.test(error.message),
    );

    const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [] } }));
    const renamed = await tarBuffer([
      { name: `${'0'.repeat(64)}.json`, body: config },
      { name: 'manifest.json', body: JSON.stringify([{ Config: `${'0'.repeat(64)}.json`, RepoTags: ['x:1'], Layers: [] }]) },
    ]);
    await assert.rejects(
      readImageArchive(streamOf(renamed), { keepLayers: new Set(), spoolDir: await spoolDir() }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'digest-mismatch' && /config 0{64}\.json hashes to/.test(error.message),
    );
  });

  it('asks which image when the archive holds several, and reads the one named', async () => {
    const one = await legacyArchive({ layers: [baseLayer], repoTags: ['one:1'] });
    const two = await legacyArchive({ layers: [baseLayer, appLayer], repoTags: ['two:1'] });
    const configName = (config: Buffer): string => `${hex(sha256(config))}.json`;
    const layerDir = (layer: Buffer): string => hex(sha256(Buffer.concat([Buffer.from('dir'), layer])));
    const tar = await tarBuffer([
      { name: `${layerDir(baseLayer)}/layer.tar`, body: baseLayer },
      { name: `${layerDir(appLayer)}/layer.tar`, body: appLayer },
      { name: configName(one.config), body: one.config },
      { name: configName(two.config), body: two.config },
      {
        name: 'manifest.json',
        body: JSON.stringify([
          { Config: configName(one.config), RepoTags: ['one:1'], Layers: [`${layerDir(baseLayer)}/layer.tar`] },
          { Config: configName(two.config), RepoTags: ['two:1'], Layers: [baseLayer, appLayer].map((l) => `${layerDir(l)}/layer.tar`) },
        ]),
      },
    ]);
    await assert.rejects(
      readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: await spoolDir() }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'ambiguous-image' && /2 images \(one:1, two:1\)/.test(error.message),
    );
    const byTag = await readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: await spoolDir(), image: 'two:1' });
    assert.deepEqual(byTag.manifest.repoTags, ['two:1']);
    assert.equal(byTag.layers.length, 2);
    const byId = await readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: await spoolDir(), image: sha256(one.config) });
    assert.deepEqual(byId.manifest.repoTags, ['one:1']);
    await assert.rejects(
      readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: await spoolDir(), image: 'three:1' }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'image-not-found' && /no image "three:1"/.test(error.message),
    );
  });
});

describe('readImageArchive, OCI layout', () => {
  it('reads index.json alone, with a gzip blob whose diff_id is the hash of the uncompressed tar', async () => {
    const { tar, config, diffIds } = await ociArchive({ layers: [{ tar: baseLayer }, { tar: appLayer, gzip: true }] });
    const dir = await spoolDir();
    const image = await readImageArchive(streamOf(tar), { keepLayers: new Set([sha256(appLayer)]), spoolDir: dir });
    assert.deepEqual(
      image.layers.map((layer) => layer.diffId),
      diffIds,
    );
    assert.equal(image.configDigest, sha256(config));
    assert.deepEqual(image.manifest.repoTags, ['docker.io/library/app:1']);
    assert.equal(image.layers[1]?.entries.find((entry) => entry.whiteout === 'opaque')?.path, 'srv');
    assert.equal(image.layers[0]?.captured.get('var/lib/dpkg/status')?.toString(), DPKG_STATUS);
    // Kept as the uncompressed tar, ready to load under its diff_id.
    assert.deepEqual(await readFile(image.kept.get(sha256(appLayer))?.file ?? ''), appLayer);
    assert.deepEqual(await readdir(dir), [`${hex(sha256(appLayer))}.tar`]);
  });

  it("prefers Engine 25's manifest.json and never spools an unwanted blob", async () => {
    const { tar, diffIds } = await ociArchive({ layers: [{ tar: baseLayer }, { tar: appLayer }], withManifestJson: true });
    const dir = await spoolDir();
    const image = await readImageArchive(streamOf(tar), { keepLayers: new Set([sha256(baseLayer)]), spoolDir: dir });
    assert.deepEqual(
      image.layers.map((layer) => layer.diffId),
      diffIds,
    );
    assert.deepEqual(image.manifest.layers, diffIds.map((d) => `blobs/sha256/${hex(d)}`));
    assert.deepEqual(await readdir(dir), [`${hex(sha256(baseLayer))}.tar`]);
  });

  it('reads a containerd-store save by its manifest digest, the ID that store gives the image', async () => {
    // As Engine 28 with the containerd store saves: gzip blobs, index.json and manifest.json.
    const { tar, config, diffIds, manifestDigest: id } = await ociArchive({ layers: [{ tar: baseLayer, gzip: true }, { tar: appLayer, gzip: true }], withManifestJson: true });
    const image = await readImageArchive(streamOf(tar), { keepLayers: new Set([sha256(appLayer)]), spoolDir: await spoolDir(), image: id });
    assert.equal(image.configDigest, sha256(config));
    assert.deepEqual(image.imageIds, [sha256(config), id]);
    assert.deepEqual(image.layers.map((layer) => layer.diffId), diffIds);
    assert.deepEqual(await readFile(image.kept.get(sha256(appLayer))?.file ?? ''), appLayer);
    await assert.rejects(
      readImageArchive(streamOf(tar), { keepLayers: new Set(), spoolDir: await spoolDir(), image: `sha256:${'ab'.repeat(32)}` }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'image-not-found',
    );
  });

  it('rejects a blob whose content does not match its name', async () => {
    const { tar } = await ociArchive({ layers: [{ tar: baseLayer }] });
    // Swap one byte of the busybox payload inside the (uncompressed) layer blob.
    const at = tar.indexOf(BIG.subarray(1000, 1032));
    const corrupt = Buffer.from(tar);
    corrupt[at] = (corrupt[at] ?? 0) ^ 0xff;
    await assert.rejects(
      readImageArchive(streamOf(corrupt), { keepLayers: new Set(), spoolDir: await spoolDir() }),
      (error: unknown) => error instanceof ArchiveError && error.problem === 'digest-mismatch' && /not the digest in its name/.test(error.message),
    );
  });
});
