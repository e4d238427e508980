/** sha256 of the uncompressed bytes of a gzip stream fed chunk by chunk: a compressed layer's diff_id. */
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { ArchiveError } from './archive-error.js';

export interface GunzipHasher {
  write(chunk: Buffer): void;
  /** Resolves to sha256:<hex> of the uncompressed stream. */
  end(): Promise<string>;
}

export function hashGunzipped(): GunzipHasher {
  const hash = createHash('sha256');
  const inflate = createGunzip();
  let failure: Error | null = null;
  inflate.on('data', (chunk: Buffer) => hash.update(chunk));
  inflate.on('error', (error) => {
    failure ??= error;
  });
  const ended = new Promise<void>((resolve) => {
    inflate.on('end', resolve);
    inflate.on('close', resolve);
  });
  return {
    // No backpressure: zlib's input queue only grows if inflating lags the stream, and it
    // inflates far faster than an engine streams a save.
    write(chunk) {
      if (failure === null) inflate.write(chunk);
    },
    async end() {
      inflate.end();
      await ended;
      if (failure !== null) throw new ArchiveError('bad-layer', `a gzip'ed layer is not valid gzip (${failure.message})`, { cause: failure });
      return `sha256:${hash.digest('hex')}`;
    },
  };
}
