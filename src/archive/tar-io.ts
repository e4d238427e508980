/**
 * Plumbing shared by the archive reader and writer: feeding a Node stream into a tar-stream
 * parser with backpressure, walking the entries of a tar one at a time, and looking at the
 * first bytes of an entry before deciding what it is.
 */
import type { Readable, Writable } from 'node:stream';
import { type Extract, type Header, extract } from 'tar-stream';
import { ArchiveError } from './archive-error.js';

/** Tar paths as layer-scan.ts wants them: no leading "./" or "/", no trailing "/". */
export function normaliseTarPath(name: string): string {
  let path = name;
  while (path.startsWith('./')) path = path.slice(2);
  path = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return path === '.' ? '' : path;
}

/** An entry body as tar-stream yields it (its type is not exported). */
export type TarBody = Extract extends AsyncIterable<infer S> ? S : never;

/** What waitForDrain needs: Node streams and streamx streams both have it. */
interface Drainable {
  once(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  off(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
}

/**
 * Resolves on 'drain', or when the stream closes or fails (the caller then checks why):
 * waiting on 'drain' alone would hang forever on a stream that died meanwhile.
 */
export function waitForDrain(stream: Drainable | Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      const target = stream as Drainable;
      target.off('drain', done);
      target.off('close', done);
      target.off('error', done);
      resolve();
    };
    const target = stream as Drainable;
    target.once('drain', done);
    target.once('close', done);
    target.once('error', done);
  });
}

/** Writes every chunk of source into a tar parser, respecting backpressure, then ends it. */
async function feed(
  source: AsyncIterable<Buffer>,
  parser: Extract,
  position: TarPosition,
  onProgress?: (bytes: number) => void,
): Promise<void> {
  try {
    for await (const chunk of source) {
      onProgress?.(chunk.length);
      if (parser.destroyed) return;
      if (!parser.write(chunk)) await waitForDrain(parser);
    }
    parser.end(null);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    position.sourceFailure = failure;
    parser.destroy(failure);
  }
}

export interface TarEntry {
  /** Normalised path (see {@link normaliseTarPath}). */
  readonly path: string;
  readonly header: Header;
  /** The body; the consumer reads it (or not: whatever is left is skipped before the next entry). */
  readonly body: AsyncIterable<Buffer>;
}

/** Where a tar walk is, for error messages. */
export interface TarPosition {
  entries: number;
  current: string | null;
  /** Set when reading the source stream itself failed (connection reset, engine error). */
  sourceFailure?: Error;
}

/**
 * Yields the entries of a tar stream in order. The caller must be done with an entry's body
 * before asking for the next one (tar is sequential); an unread remainder is skipped.
 * Parser failures become {@link ArchiveError}s naming `label` and the entry being read.
 */
export async function* readTarEntries(
  source: Readable | AsyncIterable<Buffer>,
  label: string,
  position: TarPosition,
  onProgress?: (bytes: number) => void,
): AsyncGenerator<TarEntry> {
  const parser = extract();
  // feed() never rejects: a failing source destroys the parser, which ends the loop below.
  const feeding = feed(source, parser, position, onProgress);
  try {
    for await (const body of parser) {
      position.entries += 1;
      position.current = body.header.name;
      yield { path: normaliseTarPath(body.header.name), header: body.header, body: chunksOf(body) };
      body.resume();
    }
    await feeding;
    position.current = null;
  } catch (error) {
    throw tarError(error, label, position);
  } finally {
    parser.destroy();
    if ('destroy' in source && typeof source.destroy === 'function') source.destroy();
  }
}

/**
 * Maps tar-stream's and the source's failures to an ArchiveError naming where they happened;
 * any other error (ours, the file system's) is returned as is.
 */
export function tarError(error: unknown, label: string, position: TarPosition): Error {
  if (error instanceof ArchiveError || error instanceof SpoolError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const where = position.current === null ? `after ${position.entries} entries` : `in entry ${JSON.stringify(position.current)}`;
  if (/invalid tar header|header exceeds|invalid header/i.test(message)) {
    return new ArchiveError(
      'not-a-tar',
      position.entries === 0 ? `${label} is not a tar archive (${message})` : `${label} has a corrupt tar header ${where} (${message})`,
      { cause: error },
    );
  }
  if (/unexpected end of data/i.test(message)) {
    return new ArchiveError('truncated', `${label} ended early ${where}: the stream was cut short`, { cause: error });
  }
  if (position.sourceFailure !== undefined) {
    const reason = position.sourceFailure.message;
    return new ArchiveError('truncated', `${label}: reading the stream failed ${where}: ${reason}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(message);
}

/** Writing a layer's copy into the spool folder failed (disk full, folder gone): not the archive's fault. */
export class SpoolError extends Error {
  override readonly name = 'SpoolError';
}

/** What the first bytes of a blob say it is. */
export type BlobKind = 'json' | 'tar' | 'gzip' | 'zstd' | 'empty' | 'unknown';

export function sniffBlob(head: Buffer): BlobKind {
  if (head.length === 0) return 'empty';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (head.length >= 512) {
    if (head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    // A tar with no entries is just its zero end-of-archive blocks.
    if (head.subarray(0, 512).every((byte) => byte === 0)) return 'tar';
  }
  const first = head.find((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) return 'json';
  return 'unknown';
}

/** tar-stream's bodies yield `unknown` in their types; they are Buffers in Node. */
export function chunksOf(body: TarBody): AsyncIterable<Buffer> {
  return body as AsyncIterable<Buffer>;
}

/** Reads at least `bytes` (or everything, if less) from a stream; returns them and an iterable of the whole stream. */
export async function peek(
  source: AsyncIterable<Buffer>,
  bytes: number,
): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    length += next.value.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* chunks;
    if (ended) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head: Buffer.concat(chunks, length), all: all() };
}

/** Reads a whole (small) stream into memory. */
export async function readAll(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Reads and discards a stream. */
export async function drain(source: AsyncIterable<Buffer>): Promise<void> {
  for await (const _chunk of source) {
    // discard
  }
}
