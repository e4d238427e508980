/**
 * Loads a rebased image into the engine, streaming: the archive is written into the engine's
 * load request as it is produced, never assembled on disk.
 *
 * Fast path (classic image store): config + app layers + EMPTY placeholders for the new base's
 * layers, which the engine already has from the pull and skips by chain ID. The containerd
 * store and Podman read every layer file, so there (or when the engine refuses the fast
 * archive) the new base's layers are passed through from the engine's own export of it.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { copyLayersOfArchive } from '../../archive/copy-archive-layers.js';
import { LoadArchiveWriter, writeLoadArchive } from '../../archive/write-load-archive.js';
import type { EngineClient } from '../../engine/docker-engine.js';
import { configDiffIds } from './base-configs.js';
import { sameList } from './export-image.js';
import { Refusal } from './rebase-run.js';

export interface LoadRebasedInput {
  readonly configBytes: Buffer;
  /** The new base's diff_ids (bottom of the new image). */
  readonly baseDiffIds: readonly string[];
  /** The app's layers, spooled from the export of the old image. */
  readonly appLayers: ReadonlyArray<{ diffId: string; file: string; size: number }>;
  readonly newBaseId: string;
  /** Set when the engine cannot take placeholder layers (containerd store, Podman). */
  readonly fullOnly: boolean;
  /** Hears the bytes sent to the engine so far, of how many when known (the fast archive's). */
  readonly onBytes?: (sent: number, expected: number | null) => void;
}

export interface LoadedImage {
  readonly imageId: string;
  readonly fastPath: boolean;
  readonly bytes: number;
  readonly baseLayersSkipped: number;
  readonly warnings: readonly string[];
}

/** Runs a writer into the engine's load; whichever side fails first stops the other. */
async function streamIntoLoad(
  engine: EngineClient,
  configBytes: Buffer,
  write: (target: Transform) => Promise<{ bytes: number }>,
  onBytes: (sent: number) => void,
): Promise<{ bytes: number; imageId: string }> {
  let sent = 0;
  const pipe = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes((sent += chunk.length));
      callback(null, chunk);
    },
  });
  const loading = engine.loadImage(pipe);
  // A load that fails early must not leave the writer waiting on backpressure forever.
  loading.catch((error: unknown) => pipe.destroy(error instanceof Error ? error : new Error(String(error))));
  const writing = write(pipe).catch((error: unknown) => {
    pipe.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  });
  const [written, { loaded }] = await Promise.all([writing, loading]);
  return { bytes: written.bytes, imageId: await idOfLoad(engine, loaded, configBytes) };
}

/**
 * The ID of the image a load gave. The classic store and Podman give it the config's digest;
 * the containerd store the digest of a manifest it writes itself, which only its answer
 * ("Loaded image ID: …") tells.
 */
async function idOfLoad(engine: EngineClient, loaded: readonly string[], configBytes: Buffer): Promise<string> {
  const candidates = [...loaded.filter((name) => name.startsWith('sha256:')), configDigestOf(configBytes)];
  for (const candidate of candidates) {
    const found = await engine.inspectImage(candidate);
    if (found !== null && sameList(found.diffIds, configDiffIds(configBytes))) return found.id;
  }
  throw new Refusal('failed', [`the engine did not say which image it loaded (it said: ${loaded.join(', ') || 'nothing'})`]);
}

/** sha256 of the config bytes: the image ID on the classic store and Podman. */
export function configDigestOf(configBytes: Buffer): string {
  return `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
}

/** The containerd image store and Podman read every layer file of a load: no placeholders there. */
export async function needsFullLoad(engine: EngineClient): Promise<boolean> {
  const info = await engine.info();
  return info.containerdSnapshotter || info.product === 'podman';
}

export async function loadRebasedImage(engine: EngineClient, input: LoadRebasedInput): Promise<LoadedImage> {
  const warnings: string[] = [];
  const appBytes = input.appLayers.reduce((sum, layer) => sum + layer.size, 0) + input.configBytes.length;
  const progress = (expected: number | null) => (sent: number) => input.onBytes?.(sent, expected);
  const appSources = input.appLayers.map((layer) => ({
    diffId: layer.diffId,
    source: { kind: 'file' as const, file: layer.file, size: layer.size },
  }));

  if (!input.fullOnly) {
    try {
      const { bytes, imageId } = await streamIntoLoad(engine, input.configBytes, (target) =>
        writeLoadArchive(target, {
          configBytes: input.configBytes,
          repoTag: null,
          layers: [...input.baseDiffIds.map((diffId) => ({ diffId, source: { kind: 'placeholder' as const } })), ...appSources],
        }),
        progress(appBytes),
      );
      return { imageId, fastPath: true, bytes, baseLayersSkipped: input.baseDiffIds.length, warnings };
    } catch (error) {
      warnings.push(
        `the engine refused the fast load (${error instanceof Error ? error.message : String(error)}); loaded the full image instead`,
      );
    }
  }

  const { bytes, imageId } = await streamIntoLoad(engine, input.configBytes, async (target) => {
    const writer = new LoadArchiveWriter(target);
    try {
      const source = (await engine.saveImage(input.newBaseId)) as Readable;
      await copyLayersOfArchive(source, writer, { wanted: new Set(input.baseDiffIds) });
      for (const { diffId, source: layer } of appSources) await writer.addLayer(diffId, layer);
      return await writer.finish(input.configBytes, null);
    } catch (error) {
      writer.abort(error);
      throw error;
    }
  }, progress(null));
  return { imageId, fastPath: false, bytes, baseLayersSkipped: 0, warnings };
}
