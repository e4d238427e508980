/**
 * The config digest of a local image on the containerd image store, where the image's `Id` is
 * its manifest (or index) digest and no inspect field carries the config digest (measured on
 * Engine 28.5: inspect, `?manifests=1` and history name manifests only; inspect or tag by the
 * config digest answers 404). The manifest blob names it, and the only API that hands out
 * stored blobs is `docker save`: its OCI layout lists `blobs/sha256/<digest>` sorted by name,
 * so the scan keeps the small JSON blobs it passes and stops as soon as the chain from the
 * image's own digest (index → this platform's manifest → config) is complete. Manifests are
 * content-addressed, so the answer for a digest never changes: callers cache it by `Id`.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';

/** Manifests and indexes are a few KiB; anything larger is a layer or a config, and skipped. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const Descriptor = z.object({
  mediaType: z.string().optional(),
  digest: z.string(),
  platform: z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional() }).optional(),
});
const ManifestOrIndex = z.object({
  mediaType: z.string().optional(),
  config: z.object({ digest: z.string() }).optional(),
  manifests: z.array(Descriptor).optional(),
});
type ManifestOrIndex = z.infer<typeof ManifestOrIndex>;

export interface ImagePlatform {
  readonly os: string;
  readonly architecture: string;
  readonly variant: string | null;
}

/** Follows `digest` down to a config digest through the blobs read so far; null while a blob is missing. */
export function configDigestFromBlobs(digest: string, platform: ImagePlatform, blobs: ReadonlyMap<string, ManifestOrIndex>): string | null {
  let current = digest;
  for (let depth = 0; depth < 4; depth++) {
    const blob = blobs.get(current);
    if (blob === undefined) return null;
    if (blob.config !== undefined) return blob.config.digest;
    const child = (blob.manifests ?? []).find(
      (m) =>
        m.platform !== undefined &&
        m.platform.os === platform.os &&
        m.platform.architecture === platform.architecture &&
        (platform.variant === null || (m.platform.variant ?? null) === platform.variant),
    );
    if (child === undefined) return null;
    current = child.digest;
  }
  return null;
}

/** Reads a save stream until `digest`'s config digest is known; null when the archive never tells. */
export async function readConfigDigest(stream: NodeJS.ReadableStream, digest: string, platform: ImagePlatform): Promise<string | null> {
  const blobs = new Map<string, ManifestOrIndex>();
  // tar-stream loads here, on first use (only the containerd image store needs this scan), and
  // in the same tick as the stream is piped: no await between the engine's answer and its listeners.
  const { extract } = createRequire(import.meta.url)('tar-stream') as typeof import('tar-stream');
  const reader = extract();
  let found: string | null = null;
  await new Promise<void>((resolve, reject) => {
    const finish = () => {
      resolve();
      stream.unpipe(reader);
      reader.destroy();
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    };
    reader.on('entry', (header, body, next) => {
      const name = header.name.replace(/^\.?\/+/, '');
      const match = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
      const keep = match !== null && header.type === 'file' && (header.size ?? 0) <= MAX_MANIFEST_BYTES;
      const chunks: Buffer[] = [];
      body.on('data', (chunk: unknown) => {
        if (keep) chunks.push(chunk as Buffer);
      });
      body.on('error', reject);
      body.on('end', () => {
        if (keep && match?.[1]) {
          const parsed = parseJson(Buffer.concat(chunks));
          if (parsed !== null) blobs.set(`sha256:${match[1]}`, parsed);
          found = configDigestFromBlobs(digest, platform, blobs);
          if (found !== null) return finish();
        }
        next();
      });
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
    stream.on('error', (error: Error) => reject(error));
    stream.pipe(reader);
  });
  return found;
}

function parseJson(bytes: Buffer): ManifestOrIndex | null {
  try {
    const parsed = ManifestOrIndex.safeParse(JSON.parse(bytes.toString('utf8')));
    return parsed.success && (parsed.data.config !== undefined || parsed.data.manifests !== undefined) ? parsed.data : null;
  } catch {
    return null; // a config or another non-manifest blob
  }
}
