/**
 * Scans one layer blob as it streams past: sha256 of the raw bytes (the blob digest) and of
 * the uncompressed tar (the diff_id), the entry list from a nested tar parser that reads
 * headers only, the captured package-database files, and optionally a copy of the
 * uncompressed tar in a spool file. Nothing is extracted and no layer is held in memory.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type Extract, type Header, extract } from 'tar-stream';
import { ArchiveError } from './archive-error.js';
import { type LayerEntry, type LayerEntryType, type LayerScan, MAX_CAPTURED_BYTES, captureFile } from './layer-scan.js';
import { SpoolError, chunksOf, normaliseTarPath, readAll, waitForDrain } from './tar-io.js';

export interface ScannedLayer {
  readonly scan: LayerScan;
  /** sha256 of the bytes as stored (equals scan.diffId unless compressed). */
  readonly blobDigest: string;
  readonly blobSize: number;
  readonly compression: 'none' | 'gzip';
}

/**
 * @param blob the layer's bytes as stored (a tar, or a gzip'ed tar when compression is 'gzip')
 * @param spoolFile where to copy the uncompressed tar, or null to keep no copy
 * @param label names the layer in error messages
 */
export async function scanLayerStream(
  blob: AsyncIterable<Buffer>,
  compression: 'none' | 'gzip',
  spoolFile: string | null,
  label: string,
): Promise<ScannedLayer> {
  const blobHash = createHash('sha256');
  let blobSize = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of blob) {
      blobHash.update(chunk);
      blobSize += chunk.length;
      yield chunk;
    }
  }
  const plain: AsyncIterable<Buffer> = compression === 'gzip' ? gunzip(counted(), label) : counted();

  const diffHash = compression === 'gzip' ? createHash('sha256') : null;
  let size = 0;
  const parser = extract();
  let parserError: unknown = null;
  parser.on('error', (error: unknown) => {
    parserError ??= error;
  });
  const listing = listEntries(parser);
  listing.catch(() => {}); // its failure is parserError, reported below

  let spool: WriteStream | null = null;
  let spoolError: unknown = null;
  if (spoolFile !== null) {
    spool = createWriteStream(spoolFile, { flags: 'wx' });
    spool.on('error', (error) => {
      spoolError ??= error;
    });
  }

  try {
    for await (const chunk of plain) {
      diffHash?.update(chunk);
      size += chunk.length;
      if (spool !== null) {
        if (!spool.write(chunk)) await waitForDrain(spool);
        if (spoolError !== null) throw spoolFailed(spoolFile, spoolError);
      }
      // A layer that is not a tar still gets hashed and drained; only its listing is lost.
      if (parserError === null && !parser.destroyed && !parser.write(chunk)) await waitForDrain(parser);
    }
    if (spool !== null) {
      const closing = spool;
      await new Promise<void>((resolve) => closing.end(resolve));
      if (spoolError !== null) throw spoolFailed(spoolFile, spoolError);
    }
  } catch (error) {
    parser.destroy();
    spool?.destroy();
    throw error;
  }
  parser.end(null);
  let listed: { entries: LayerEntry[]; captured: Map<string, Buffer> };
  try {
    listed = await listing;
  } catch (error) {
    parserError ??= error;
    listed = { entries: [], captured: new Map() };
  }
  if (parserError !== null) {
    const reason = parserError instanceof Error ? parserError.message : String(parserError);
    throw new ArchiveError('bad-layer', `${label} is not a readable layer tar (${reason})`, { cause: parserError });
  }

  const blobDigest = `sha256:${blobHash.digest('hex')}`;
  const diffId = diffHash === null ? blobDigest : `sha256:${diffHash.digest('hex')}`;
  return {
    scan: { diffId, size, entries: listed.entries, captured: listed.captured },
    blobDigest,
    blobSize,
    compression,
  };
}

function spoolFailed(file: string | null, cause: unknown): SpoolError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SpoolError(`writing the layer copy ${file ?? ''} failed: ${reason}`, { cause });
}

/** The uncompressed bytes of a gzip stream; a bad gzip becomes a bad-layer error. */
async function* gunzip(source: AsyncIterable<Buffer>, label: string): AsyncGenerator<Buffer> {
  const inflate = createGunzip();
  const pumping = pipeline(Readable.from(source, { objectMode: false }), inflate);
  pumping.catch(() => {}); // surfaces through the iteration below
  try {
    for await (const chunk of inflate) yield chunk as Buffer;
    await pumping;
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) {
      throw new ArchiveError('bad-layer', `${label} is not valid gzip (${(error as Error).message})`, { cause: error });
    }
    throw error;
  } finally {
    inflate.destroy();
  }
}

async function listEntries(parser: Extract): Promise<{ entries: LayerEntry[]; captured: Map<string, Buffer> }> {
  const entries: LayerEntry[] = [];
  const captured = new Map<string, Buffer>();
  for await (const body of parser) {
    const entry = toLayerEntry(body.header);
    if (entry === null) {
      body.resume();
      continue;
    }
    entries.push(entry);
    if (entry.type === 'file' && entry.whiteout === null && captureFile(entry.path) && entry.size <= MAX_CAPTURED_BYTES) {
      captured.set(entry.path, await readAll(chunksOf(body)));
    } else {
      body.resume();
    }
  }
  return { entries, captured };
}

/** The LayerEntry for a tar header; null for the layer's root folder itself ("./"). */
export function toLayerEntry(header: Header): LayerEntry | null {
  const path = normaliseTarPath(header.name);
  if (path === '') return null;
  const slash = path.lastIndexOf('/');
  const dir = slash === -1 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  let whiteout: LayerEntry['whiteout'] = null;
  let shownPath = path;
  if (base === '.wh..wh..opq') {
    whiteout = 'opaque';
    shownPath = dir;
  } else if (base.startsWith('.wh.') && !base.startsWith('.wh..wh.')) {
    // ".wh..wh.*" other than the opaque marker is aufs bookkeeping (.wh..wh.plnk), not a deletion.
    whiteout = 'whiteout';
    shownPath = dir === '' ? base.slice(4) : `${dir}/${base.slice(4)}`;
  }
  return {
    path: shownPath,
    type: entryType(header.type),
    mode: header.mode ?? 0,
    size: header.size ?? 0,
    linkname: header.linkname ?? null,
    whiteout,
  };
}

function entryType(type: Header['type']): LayerEntryType {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}
