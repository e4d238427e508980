/**
 * Passes the layers of another archive (`docker save <new base>`) through to a load archive
 * without holding them on disk. Entry order is not guaranteed and a legacy layer's diff_id is
 * known only once it has been hashed, so every layer entry is copied as it arrives and hashed
 * on the way; LoadArchiveWriter.finish() then writes a manifest.json that maps the config's
 * diff_ids to whichever entries hashed to them. A layer that turns out not to be wanted costs
 * its bytes in the output (docker load ignores entries its manifest does not list). In the OCI
 * layout an uncompressed blob's name is its diff_id, so unwanted ones are skipped up front.
 */
import type { Readable } from 'node:stream';
import { ArchiveError } from './archive-error.js';
import { digestFromPath } from './resolve-archive-image.js';
import { type TarPosition, drain, peek, readTarEntries, sniffBlob, tarError } from './tar-io.js';
import type { LoadArchiveWriter } from './write-load-archive.js';

export interface ArchiveLayer {
  /** Path of the entry in the source archive. */
  readonly path: string;
  /** Bytes as stored (what a tar header needs). */
  readonly size: number;
  readonly compression: 'none' | 'gzip';
  /** The diff_id, when the entry's name says it before hashing (uncompressed OCI blob), else null. */
  readonly namedDiffId: string | null;
  /** The bytes; onLayer must read them to the end before it resolves. */
  readonly body: AsyncIterable<Buffer>;
}

export interface ForEachLayerOptions {
  /** When given, uncompressed OCI blobs whose name is not in it are skipped unread. */
  wanted?: ReadonlySet<string>;
  onProgress?(bytes: number): void;
}

/**
 * Calls onLayer for each layer-like entry (a tar, or a gzip'ed tar) of the archive, in archive
 * order, one at a time. Other entries (configs, manifests, v1 metadata) are skipped.
 */
export async function forEachLayerOfArchive(
  source: Readable,
  options: ForEachLayerOptions,
  onLayer: (layer: ArchiveLayer) => Promise<void>,
): Promise<void> {
  const position: TarPosition = { entries: 0, current: null };
  const label = 'the source archive';
  for await (const { path, header, body } of readTarEntries(source, label, position, options.onProgress)) {
    if ((header.type ?? 'file') !== 'file' && header.type !== 'contiguous-file') continue;
    // Errors from onLayer pass through tarError too: a cut stream shows up while it reads the body.
    try {
      const { head, all } = await peek(body, 512);
      const kind = sniffBlob(head);
      if (kind === 'zstd') throw new ArchiveError('bad-layer', `${label}: layer ${path} is zstd-compressed, which we cannot read`);
      if (kind !== 'tar' && kind !== 'gzip') {
        await drain(all);
        continue;
      }
      const namedDiffId = kind === 'tar' && path.startsWith('blobs/') ? digestFromPath(path) : null;
      if (namedDiffId !== null && options.wanted !== undefined && !options.wanted.has(namedDiffId)) {
        await drain(all);
        continue;
      }
      await onLayer({ path, size: header.size, compression: kind === 'gzip' ? 'gzip' : 'none', namedDiffId, body: all });
    } catch (error) {
      throw tarError(error, label, position);
    }
  }
}

/**
 * Copies the layers of `source` into `writer` (see the module comment for what "wanted" can
 * and cannot save). Resolves to the diff_ids copied; the caller then checks it has every one it
 * needs (or lets writer.finish() say which is missing).
 */
export async function copyLayersOfArchive(
  source: Readable,
  writer: LoadArchiveWriter,
  options: ForEachLayerOptions = {},
): Promise<Set<string>> {
  const copied = new Set<string>();
  await forEachLayerOfArchive(source, options, async (layer) => {
    copied.add(await writer.addLayerStream(layer.body, layer.size, layer.compression));
  });
  return copied;
}
