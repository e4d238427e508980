/** Reads the regular files of a (small) tar stream into memory: for the engine's archive API. */
import { createRequire } from 'node:module';

// tar-stream loads on first use (most commands never read an engine archive), and in the same
// tick as the stream is piped: no await between the engine's answer and its error listener.
const requireTarStream = (): typeof import('tar-stream') => createRequire(import.meta.url)('tar-stream') as typeof import('tar-stream');

/** Files above this are skipped: only small files (package databases) are read this way. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export async function readTarFiles(stream: NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
  const { extract } = requireTarStream();
  const files = new Map<string, Buffer>();
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (header, body, next) => {
      const chunks: Buffer[] = [];
      const keep = header.type === 'file' && (header.size ?? 0) <= MAX_FILE_BYTES;
      body.on('data', (chunk: unknown) => {
        if (keep) chunks.push(chunk as Buffer);
      });
      body.on('end', () => {
        if (keep) files.set(header.name.replace(/^\.?\/+/, ''), Buffer.concat(chunks));
        next();
      });
      body.on('error', reject);
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  stream.on('error', (error) => reader.destroy(error as Error));
  stream.pipe(reader);
  await done;
  return files;
}
