/**
 * Reads a `docker save` stream (legacy layout, or OCI layout from Engine 25+) in one pass:
 * the image's raw config bytes, a scan of every layer (diff_id, entries, captured package
 * databases) and spooled copies of the layers the caller wants to load again. Nothing is
 * extracted onto the host and no layer is held in memory.
 *
 * Entry order is not guaranteed (Engine 20.10 writes entries in lexical order, so
 * manifest.json comes after every layer), so a layer is identified only once it has been
 * hashed: each layer is scanned and spooled as it streams, and the spool file is deleted
 * right after hashing when its diff_id is not wanted. In the OCI layout an uncompressed blob's
 * name is its diff_id, so an unwanted one is never spooled at all.
 */
import { createHash } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ArchiveError } from './archive-error.js';
import { ImageConfigRootfsSchema } from './archive-schemas.js';
import type { LayerScan } from './layer-scan.js';
import { imageIdsOf } from './oci-identities.js';
import {
  type ArchiveManifest,
  digestFromPath,
  linkTarget,
  resolveArchiveImage,
  resolveLink,
} from './resolve-archive-image.js';
import { type ScannedLayer, scanLayerStream } from './scan-layer-stream.js';
import { type BlobKind, type TarPosition, drain, peek, readAll, readTarEntries, sniffBlob, tarError } from './tar-io.js';

export type { ArchiveManifest } from './resolve-archive-image.js';

export interface ReadImageArchiveOptions {
  /** diff_ids whose uncompressed bytes to keep in `spoolDir` (the app layers). */
  keepLayers: ReadonlySet<string>;
  /** A private folder the caller owns (and removes afterwards); kept layers are written here. */
  spoolDir: string;
  /**
   * Which image to read when the archive holds several: a RepoTag or an image ID
   * ("sha256:<hex>"). Default: the archive's only image (several → ArchiveError).
   */
  image?: string;
  /** Called with the number of bytes read from `source` since the previous call. */
  onProgress?(bytes: number): void;
  /**
   * In the legacy layout a layer is identified only after hashing it, so by default every layer
   * might be kept and is spooled while it streams. Given this, a layer whose stored size (known
   * from its tar header before its bytes) is above it is not spooled: a caller that knows the
   * layers it keeps are small avoids writing the large ones to disk. A kept layer that was above
   * it is then missing from `kept`; the caller decides what to do (e.g. read again without it).
   */
  maxSpoolBytes?: number;
}

export interface KeptLayer {
  /** Absolute path of the uncompressed layer tar in spoolDir. */
  readonly file: string;
  readonly size: number;
}

export interface ImageArchive {
  readonly manifest: ArchiveManifest;
  /** The config exactly as stored: its sha256 is the image ID. */
  readonly configBytes: Buffer;
  /** sha256:<hex> of configBytes. */
  readonly configDigest: string;
  /**
   * The IDs an engine may give this image: the config digest (classic store, Podman) and, when
   * the archive holds them, its manifest's and index's digests (containerd image store).
   */
  readonly imageIds: readonly string[];
  /** One per manifest layer, bottom first; diff_ids computed from the bytes. */
  readonly layers: LayerScan[];
  /** The layers of `keepLayers` found in the archive, by diff_id. */
  readonly kept: Map<string, KeptLayer>;
}

/** JSON documents (configs, manifests, indexes) bigger than this are not held in memory. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

const LABEL = 'the image archive';

/** What we learnt about a blob entry that was not kept as JSON nor scanned as a layer. */
type SkippedBlob = { kind: BlobKind | 'too-large' };

/**
 * Reads `source` to its end. Resolves when every layer of the chosen image has been scanned;
 * rejects with an {@link ArchiveError} when the archive is not usable (truncated, not a tar,
 * a layer missing, a digest that does not match), and with a SpoolError when spoolDir cannot
 * be written. On failure, spool files written so far are removed.
 */
export async function readImageArchive(source: Readable, options: ReadImageArchiveOptions): Promise<ImageArchive> {
  const json = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const scanned = new Map<string, ScannedLayer>();
  const skipped = new Map<string, SkippedBlob>();
  const kept = new Map<string, KeptLayer>();
  const position: TarPosition = { entries: 0, current: null };
  let spoolCount = 0;

  const scanEntry = async (path: string, body: AsyncIterable<Buffer>, storedSize: number): Promise<void> => {
    const { head, all } = await peek(body, 512);
    const kind = sniffBlob(head);
    if (kind === 'json') {
      if (head.length <= MAX_JSON_BYTES) {
        const bytes = await readAll(all);
        if (bytes.length <= MAX_JSON_BYTES) json.set(path, bytes);
        else skipped.set(path, { kind: 'too-large' });
      } else {
        skipped.set(path, { kind: 'too-large' });
      }
      return;
    }
    if (kind !== 'tar' && kind !== 'gzip') {
      skipped.set(path, { kind });
      await drain(all);
      return;
    }
    // An uncompressed OCI blob is named by its digest, which is its diff_id: decide up front.
    const named = kind === 'tar' ? digestFromPath(path) : null;
    const small = options.maxSpoolBytes === undefined || storedSize <= options.maxSpoolBytes;
    const mightKeep = options.keepLayers.size > 0 && (named === null ? small : options.keepLayers.has(named));
    const spoolFile = mightKeep ? join(options.spoolDir, `layer-${(spoolCount += 1)}.partial`) : null;
    let layer: ScannedLayer;
    try {
      layer = await scanLayerStream(all, kind === 'gzip' ? 'gzip' : 'none', spoolFile, `layer ${path}`);
    } catch (error) {
      if (spoolFile !== null) await rm(spoolFile, { force: true });
      throw error;
    }
    scanned.set(path, layer);
    if (spoolFile === null) return;
    const diffId = layer.scan.diffId;
    if (options.keepLayers.has(diffId) && !kept.has(diffId)) {
      const file = join(options.spoolDir, `${diffId.slice('sha256:'.length)}.tar`);
      await rename(spoolFile, file);
      kept.set(diffId, { file, size: layer.scan.size });
    } else {
      await rm(spoolFile, { force: true });
    }
  };

  try {
    for await (const { path, header, body } of readTarEntries(source, LABEL, position, options.onProgress)) {
      const type = header.type ?? 'file';
      if (type === 'symlink' || type === 'link') {
        // A legacy save links a layer.tar it already wrote for another v1 id; hard links likewise.
        if (header.linkname) links.set(path, type === 'link' ? linkTargetOfHardlink(header.linkname) : linkTarget(path, header.linkname));
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file') continue;
      if (isIgnored(path)) continue;
      try {
        await scanEntry(path, body, header.size ?? 0);
      } catch (error) {
        throw tarError(error, LABEL, position);
      }
    }
    return assemble({ json, links }, scanned, skipped, kept, options.image);
  } catch (error) {
    await Promise.all([...kept.values()].map((layer) => rm(layer.file, { force: true })));
    throw error;
  }
}

function linkTargetOfHardlink(linkname: string): string {
  // Hard link names are relative to the archive root, not to the link's folder.
  return linkTarget('', linkname);
}

/** Entries we never need: v1 metadata of the legacy layout and the OCI layout marker. */
function isIgnored(path: string): boolean {
  return path === 'repositories' || path === 'oci-layout' || /^[0-9a-f]{64}\/(?:json|VERSION)$/.test(path);
}

function assemble(
  docs: { json: Map<string, Buffer>; links: Map<string, string> },
  scanned: ReadonlyMap<string, ScannedLayer>,
  skipped: ReadonlyMap<string, SkippedBlob>,
  kept: Map<string, KeptLayer>,
  image: string | undefined,
): ImageArchive {
  let manifest: ArchiveManifest;
  try {
    manifest = resolveArchiveImage(docs, image);
  } catch (error) {
    if (error instanceof ArchiveError && error.problem === 'no-manifest' && !docs.json.has('manifest.json') && !docs.json.has('index.json')) {
      const seen = scanned.size + skipped.size + docs.json.size;
      throw new ArchiveError(
        seen === 0 ? 'truncated' : 'no-manifest',
        seen === 0
          ? `${LABEL} is empty: no entries at all`
          : `${LABEL} has no manifest.json or index.json (${seen} entries read: was the stream cut short?)`,
      );
    }
    throw error;
  }

  const configPath = resolveLink(manifest.config, docs.links);
  const configBytes = docs.json.get(configPath);
  if (configBytes === undefined) {
    const skip = skipped.get(configPath);
    throw new ArchiveError(
      skip?.kind === 'too-large' ? 'too-large' : 'missing-config',
      skip?.kind === 'too-large'
        ? `the image config ${manifest.config} is larger than ${MAX_JSON_BYTES} bytes`
        : `the image config ${manifest.config} named by the manifest is not in the archive`,
    );
  }
  const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
  const namedDigest = digestFromPath(manifest.config);
  if (namedDigest !== null && namedDigest !== configDigest) {
    throw new ArchiveError('digest-mismatch', `the image config ${manifest.config} hashes to ${configDigest}`);
  }

  const total = manifest.layers.length;
  const layers = manifest.layers.map((path, i): LayerScan => {
    const where = `layer ${i + 1} of ${total} (${path})`;
    const layer = scanned.get(resolveLink(path, docs.links));
    if (layer === undefined) {
      const skip = skipped.get(resolveLink(path, docs.links));
      if (skip === undefined) throw new ArchiveError('missing-layer', `${where} listed in the manifest is missing from the archive`);
      const what = skip.kind === 'zstd' ? 'zstd-compressed, which we cannot read' : `not a tar (it looks like ${skip.kind})`;
      throw new ArchiveError('bad-layer', `${where} is ${what}`);
    }
    const named = path.startsWith('blobs/') ? digestFromPath(path) : null;
    if (named !== null && named !== layer.blobDigest) {
      throw new ArchiveError('digest-mismatch', `${where} hashes to ${layer.blobDigest}, not the digest in its name`);
    }
    return layer.scan;
  });

  const config = parseRootfs(configBytes, manifest.config);
  if (config.length !== layers.length) {
    throw new ArchiveError(
      'digest-mismatch',
      `the manifest lists ${layers.length} layers but the config's rootfs.diff_ids has ${config.length}`,
    );
  }
  layers.forEach((layer, i) => {
    if (layer.diffId !== config[i]) {
      throw new ArchiveError(
        'digest-mismatch',
        `layer ${i + 1} of ${layers.length} (${manifest.layers[i]}) hashes to ${layer.diffId} but the config lists ${config[i]}`,
      );
    }
  });
  return { manifest, configBytes, configDigest, imageIds: imageIdsOf(docs, configDigest), layers, kept };
}

function parseRootfs(configBytes: Buffer, path: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(configBytes.toString('utf8'));
  } catch (error) {
    throw new ArchiveError('bad-manifest', `the image config ${path} is not JSON`, { cause: error });
  }
  const parsed = ImageConfigRootfsSchema.safeParse(value);
  if (!parsed.success) throw new ArchiveError('bad-manifest', `the image config ${path} has no valid rootfs.diff_ids`);
  return parsed.data.rootfs.diff_ids;
}
