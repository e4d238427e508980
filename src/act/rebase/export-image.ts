/**
 * The rebase's export of the image: `docker save`, read once, every layer scanned (for the seam
 * check and the package diff) and the app layers kept in the rebase's spool folder for the load.
 */
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type ImageArchive, readImageArchive } from '../../archive/read-image-archive.js';
import type { EngineClient, HistoryEntry, ImageDetails } from '../../engine/docker-engine.js';

/**
 * `docker save` of the image, scanned, with the app layers kept. Only layers small enough to be
 * one of the app layers are spooled while their identity is unknown (legacy layout): a layer
 * tar is its files' bytes plus about 1 KiB of header and padding per file, so the bound below
 * covers app layers of tens of thousands of small files; a bigger one costs a second export,
 * never a wrong result. Aborting `signal` stops it (the request, or the reading once the archive
 * flows); it then rejects, its spool files removed. `onBytes` hears the bytes read so far of
 * about how many (the history's layer sizes: file content, without the tar headers).
 */
export async function exportImage(
  engine: EngineClient,
  image: ImageDetails,
  history: readonly HistoryEntry[],
  appDiffIds: readonly string[],
  spoolDir: string,
  warnings: string[],
  signal: AbortSignal | null,
  onBytes?: (read: number, expected: number) => void,
): Promise<ImageArchive> {
  const layerSteps = history.filter((step) => !step.emptyLayer);
  const expected = layerSteps.reduce((sum, step) => sum + step.size, 0);
  const appSizes = layerSteps.slice(layerSteps.length - appDiffIds.length).map((step) => step.size);
  const bound = layerSteps.length === image.diffIds.length ? Math.max(0, ...appSizes) * 2 + 64 * 1024 * 1024 : undefined;
  const read = async (maxSpoolBytes: number | undefined): Promise<ImageArchive> => {
    const source = (await engine.saveImage(image.id, signal === null ? {} : { signal })) as Readable;
    const stop = (): void => void source.destroy(new Error('the export was cancelled'));
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    let read = 0;
    onBytes?.(0, expected);
    try {
      return await readImageArchive(source, {
        ...(onBytes === undefined ? {} : { onProgress: (bytes: number) => onBytes((read += bytes), expected) }),
        keepLayers: new Set(appDiffIds),
        spoolDir,
        image: image.id,
        ...(maxSpoolBytes === undefined ? {} : { maxSpoolBytes }),
      });
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  };
  const archive = await read(bound);
  if (bound === undefined || appDiffIds.every((diffId) => archive.kept.has(diffId))) return archive;
  warnings.push('an app layer was larger than expected from its history; exported the image a second time');
  for (const layer of archive.kept.values()) await fs.rm(layer.file, { force: true });
  return read(undefined);
}

/** The image's layers above a local base's; null when that base is not local or not below the image. */
export function layersAbove(image: ImageDetails, baseId: string | null, images: readonly ImageDetails[]): string[] | null {
  const localBase = baseId === null ? undefined : images.find((candidate) => candidate.id === baseId);
  if (localBase === undefined || !sameList(localBase.diffIds, image.diffIds.slice(0, localBase.diffIds.length))) return null;
  return image.diffIds.slice(localBase.diffIds.length);
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
