// The archive reader and writer against the real engine: read a `docker save` stream, then
// `docker load` what the writer makes of it (placeholders for the base layers the engine has).
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { before, describe, it } from 'node:test';
import { type ImageArchive, readImageArchive } from '../src/archive/read-image-archive.js';
import { copyLayersOfArchive, forEachLayerOfArchive } from '../src/archive/copy-archive-layers.js';
import { needsFullLoad } from '../src/act/rebase/load-rebased.js';
import { connectEngine } from '../src/engine/connect.js';
import type { EngineClient } from '../src/engine/docker-engine.js';
import { LoadArchiveWriter, placeholderRefusal, writeLoadArchive } from '../src/archive/write-load-archive.js';
import { recordCreatedImage } from './helpers/temp.js';
import {
  DEFAULT_DPKG,
  buildImage,
  docker,
  dpkgStatus,
  getWorld,
  inspectImage,
  makeBaseImage,
  makeTempDir,
  skipWithoutWorld,
  uniqueName,
  usesContainerdStore,
  writeProject,
} from './helpers/world.js';
import { parseDockerHost } from './world/engine-api.js';

const skip = skipWithoutWorld();

/** An engine API request over the world's socket; resolves with the response stream. */
function engine(method: string, path: string, body?: Readable): Promise<http.IncomingMessage> {
  const world = getWorld();
  assert.ok(world);
  return new Promise((resolve, reject) => {
    const request = http.request({ ...parseDockerHost(world.dockerHost), method, path, headers: { host: 'docker', 'content-type': 'application/x-tar' } }, resolve);
    request.on('error', reject);
    if (body) body.pipe(request);
    else request.end();
  });
}

/** POST /images/load: it answers 200 even when the load failed, so read the JSON stream for `error`. */
async function loadThroughApi(file: string): Promise<{ status: number; messages: Array<{ stream?: string; error?: string }> }> {
  const response = await engine('POST', '/images/load?quiet=1', createReadStream(file));
  let text = '';
  for await (const chunk of response) text += String(chunk);
  const messages = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { stream?: string; error?: string });
  return { status: response.statusCode ?? 0, messages };
}

let client: Promise<EngineClient> | null = null;
/** basewatch's own client of the world's engine. */
function worldEngine(): Promise<EngineClient> {
  const world = getWorld();
  assert.ok(world);
  client ??= connectEngine({ env: { DOCKER_HOST: world.dockerHost } });
  return client;
}

describe('archive round trip through the engine', () => {
  let baseRef = '';
  let appRef = '';
  let appId = '';
  let spoolDir = '';
  let image: ImageArchive | null = null;
  let appDiffId = '';

  before(async () => {
    const world = getWorld();
    if (!world) return;
    baseRef = `${world.registry}/${uniqueName('archive-base')}:1`;
    await makeBaseImage({ ref: baseRef });
    appRef = `${uniqueName('archive-app')}:1`;
    const context = await writeProject({ 'Dockerfile': `FROM ${baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hello from the app layer\n' });
    appId = await buildImage({ context, tag: appRef });
    const inspected = await inspectImage(appRef);
    appDiffId = inspected.RootFS.Layers[1] ?? '';
    spoolDir = await makeTempDir('archive-spool');
    const response = await engine('GET', `/images/${encodeURIComponent(appRef)}/get`);
    assert.equal(response.statusCode, 200);
    image = await readImageArchive(response, { keepLayers: new Set([appDiffId]), spoolDir });
  });

  it('reads the save: diff_ids, image ID, captured dpkg status, only the app layer spooled', { skip }, async () => {
    assert.ok(image);
    const inspected = await inspectImage(appRef);
    assert.deepEqual(
      image.layers.map((layer) => layer.diffId),
      inspected.RootFS.Layers,
    );
    // The classic store and Podman name an image by its config digest; the containerd store by
    // its manifest's, which the archive holds too.
    assert.ok(image.imageIds.includes(appId), `${appId} among ${image.imageIds.join(', ')}`);
    if (await usesContainerdStore()) assert.notEqual(image.configDigest, appId);
    else assert.equal(image.configDigest, appId);
    assert.deepEqual(image.manifest.repoTags, [appRef]);
    assert.equal(image.layers[0]?.captured.get('var/lib/dpkg/status')?.toString(), dpkgStatus(DEFAULT_DPKG));
    assert.ok(
      image.layers[1]?.entries.some((entry) => entry.path === 'hello.txt' && entry.type === 'file'),
      JSON.stringify(image.layers[1]?.entries.map((entry) => `${entry.type} ${entry.path}`)),
    );
    assert.deepEqual([...image.kept.keys()], [appDiffId]);
    assert.deepEqual(await readdir(spoolDir), [`${appDiffId.slice('sha256:'.length)}.tar`]);
  });

  it('loads config + app layer + an EMPTY placeholder for the base as the same image under a new tag', { skip }, async () => {
    assert.ok(image);
    if (await usesContainerdStore()) {
      // The containerd store takes placeholders silently and makes a corrupt image of them
      // (modern-engine.md): basewatch must know never to send them there.
      assert.equal(await needsFullLoad(await worldEngine()), true, 'a full load on the containerd store');
      return;
    }
    assert.equal(await needsFullLoad(await worldEngine()), false, 'placeholders on the classic store');
    const kept = image.kept.get(appDiffId);
    assert.ok(kept);
    const newTag = `${uniqueName('archive-loaded')}:1`;
    recordCreatedImage(newTag);
    const file = join(await makeTempDir('archive-load'), 'load.tar');
    const written = await writeLoadArchive(createWriteStream(file), {
      configBytes: image.configBytes,
      repoTag: newTag,
      layers: [
        { diffId: image.layers[0]?.diffId ?? '', source: { kind: 'placeholder' } },
        { diffId: appDiffId, source: { kind: 'file', ...kept } },
      ],
    });
    assert.ok(written.bytes < kept.size + 16 * 1024, `the load archive has ${written.bytes} bytes: no base layer bytes in it`);
    await docker(['load', '-i', file]);
    const loaded = await inspectImage(newTag);
    assert.equal(loaded.Id, appId);
    assert.equal(await docker(['run', '--rm', newTag, 'cat', '/hello.txt']), 'hello from the app layer\n');
  });

  it('fails to load a placeholder for a layer the engine does not have, and says so in the load stream', { skip }, async () => {
    assert.ok(image);
    const kept = image.kept.get(appDiffId);
    assert.ok(kept);
    const config = JSON.parse(image.configBytes.toString()) as { rootfs: { diff_ids: string[] } };
    const unknown = `sha256:${'ab'.repeat(32)}`;
    config.rootfs.diff_ids = [unknown, appDiffId];
    const configBytes = Buffer.from(JSON.stringify(config));
    const newTag = `${uniqueName('archive-missing')}:1`;
    recordCreatedImage(newTag);
    const file = join(await makeTempDir('archive-load'), 'missing.tar');
    await writeLoadArchive(createWriteStream(file), {
      configBytes,
      repoTag: newTag,
      layers: [
        { diffId: unknown, source: { kind: 'placeholder' } },
        { diffId: appDiffId, source: { kind: 'file', ...kept } },
      ],
    });
    const result = await loadThroughApi(file);
    const error = result.messages.find((message) => message.error !== undefined)?.error;
    const containerd = await usesContainerdStore();
    if (containerd) {
      // HTTP 200, no `error` field: only a `stream` line says it failed.
      assert.equal(error, undefined, JSON.stringify(result.messages));
      assert.ok(result.messages.some((message) => /^Error unpacking image/.test(message.stream ?? '')), JSON.stringify(result.messages));
    } else {
      assert.ok(error, `expected an error in the load stream (HTTP ${result.status}): ${JSON.stringify(result.messages)}`);
      // Engine 20.10 registers the empty file, hashes it and compares with the config's diff_id.
      assert.deepEqual(placeholderRefusal(error), { layer: 0, diffId: unknown }, error);
    }
    // Either way basewatch's load rejects: a failed load is never taken for a loaded image.
    await assert.rejects((await worldEngine()).loadImage(createReadStream(file)), /wrong diff ?id|invalid diffID/i);
    if (containerd) {
      // The containerd store keeps the image record of a failed load, its tag too: only the
      // stream tells that it is not usable.
      assert.ok((await inspectImage(newTag)).Id.startsWith('sha256:'));
    } else {
      await assert.rejects(docker(['image', 'inspect', newTag]));
    }
  });

  it("passes the base's own save through (the full path) and loads the same image", { skip }, async () => {
    assert.ok(image);
    const kept = image.kept.get(appDiffId);
    assert.ok(kept);
    const baseDiffId = image.layers[0]?.diffId ?? '';
    const newTag = `${uniqueName('archive-full')}:1`;
    recordCreatedImage(newTag);
    const file = join(await makeTempDir('archive-load'), 'full.tar');
    const writer = new LoadArchiveWriter(createWriteStream(file));
    await writer.addLayer(appDiffId, { kind: 'file', ...kept });
    const save = await engine('GET', `/images/${encodeURIComponent(baseRef)}/get`);
    const copied = await copyLayersOfArchive(save, writer, { wanted: new Set([baseDiffId]) });
    assert.deepEqual(copied, new Set([baseDiffId]));
    const written = await writer.finish(image.configBytes, newTag);
    // As stored in the save: uncompressed on the classic store, gzip'ed on the containerd store.
    let storedBaseBytes = 0;
    await forEachLayerOfArchive(await engine('GET', `/images/${encodeURIComponent(baseRef)}/get`), {}, async (layer) => {
      storedBaseBytes += layer.size;
      for await (const _ of layer.body);
    });
    assert.ok(written.bytes > kept.size + storedBaseBytes, `the full archive (${written.bytes} bytes) carries the base layer's ${storedBaseBytes} bytes`);
    const result = await loadThroughApi(file);
    assert.deepEqual(result.messages.filter((message) => message.error !== undefined || /error/i.test(message.stream ?? '')), [], JSON.stringify(result.messages));
    const loaded = await inspectImage(newTag);
    assert.deepEqual(loaded.RootFS.Layers, image.layers.map((layer) => layer.diffId));
    // The very config bytes: on the classic store that is the same ID.
    const again = await readImageArchive(await engine('GET', `/images/${encodeURIComponent(newTag)}/get`), { keepLayers: new Set(), spoolDir });
    assert.equal(again.configDigest, image.configDigest);
    if (!(await usesContainerdStore())) assert.equal(loaded.Id, appId);
  });
});
