/**
 * Test support: small image archives built in memory with tar-stream, in the legacy and OCI
 * layouts, so the reader and writer can be unit-tested without an engine.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export interface TarFile {
  name: string;
  body?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function hex(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

export async function tarBuffer(files: readonly TarFile[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const collecting = (async () => {
    for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const file of files) {
    const type = file.type ?? 'file';
    const body = typeof file.body === 'string' ? Buffer.from(file.body) : (file.body ?? Buffer.alloc(0));
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: file.name,
        type,
        mode: file.mode ?? (type === 'directory' ? 0o755 : 0o644),
        mtime: new Date(0),
        ...(file.linkname !== undefined ? { linkname: file.linkname } : {}),
      };
      if (type === 'file') archive.entry(header, body, (error) => (error ? reject(error) : resolve()));
      else archive.entry(header, (error) => (error ? reject(error) : resolve())).end(null);
    });
  }
  archive.finalize();
  await collecting;
  return Buffer.concat(chunks);
}

export function configFor(diffIds: readonly string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created_by: 'test' })),
      ...extra,
    }),
  );
}

export interface LegacyArchiveSpec {
  layers: readonly Buffer[];
  repoTags?: string[] | null;
  /** Put manifest.json first instead of last (Engine 20.10 writes it after the layers). */
  manifestFirst?: boolean;
  /** Leave the layer at this index out of the archive (the manifest still lists it). */
  omitLayer?: number;
  /** Replaces the config bytes (default: configFor(the layers' diff_ids)). */
  config?: Buffer;
  /** More entries, appended at the end. */
  extra?: TarFile[];
}

/** A `docker save` of Engine 20.10: `<id>/{VERSION,json,layer.tar}`, `<hex>.json`, manifest.json, repositories. */
export async function legacyArchive(spec: LegacyArchiveSpec): Promise<{ tar: Buffer; config: Buffer; diffIds: string[] }> {
  const diffIds = spec.layers.map(sha256);
  const config = spec.config ?? configFor(diffIds);
  const configName = `${hex(sha256(config))}.json`;
  // v1 ids are arbitrary here; any 64-hex name will do, as long as it is not the diff_id.
  const ids = diffIds.map((diffId) => hex(sha256(Buffer.from(`v1:${diffId}`))));
  const manifest: TarFile = {
    name: 'manifest.json',
    body: JSON.stringify([
      { Config: configName, RepoTags: spec.repoTags === undefined ? ['app:1'] : spec.repoTags, Layers: ids.map((id) => `${id}/layer.tar`) },
    ]),
  };
  const layerFiles = spec.layers.flatMap((layer, i): TarFile[] =>
    i === spec.omitLayer
      ? []
      : [
          { name: `${ids[i]}/`, type: 'directory' },
          { name: `${ids[i]}/VERSION`, body: '1.0' },
          { name: `${ids[i]}/json`, body: JSON.stringify({ id: ids[i] }) },
          { name: `${ids[i]}/layer.tar`, body: layer },
        ],
  );
  const files: TarFile[] = [
    ...(spec.manifestFirst ? [manifest] : []),
    ...layerFiles,
    { name: configName, body: config },
    ...(spec.manifestFirst ? [] : [manifest]),
    { name: 'repositories', body: '{}' },
    ...(spec.extra ?? []),
  ];
  return { tar: await tarBuffer(files), config, diffIds };
}

export interface OciArchiveSpec {
  layers: ReadonlyArray<{ tar: Buffer; gzip?: boolean }>;
  /** Also write Engine 25's manifest.json (Layers → blobs/sha256/<digest>). */
  withManifestJson?: boolean;
  name?: string;
}

/** An OCI-layout save: blobs/sha256/<digest> for layers, config and manifest; index.json; oci-layout. */
export async function ociArchive(spec: OciArchiveSpec): Promise<{ tar: Buffer; config: Buffer; diffIds: string[]; manifestDigest: string }> {
  const diffIds = spec.layers.map((layer) => sha256(layer.tar));
  const blobs = spec.layers.map((layer) => (layer.gzip ? gzipSync(layer.tar) : layer.tar));
  const config = configFor(diffIds);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: blobs.map((blob, i) => ({
        mediaType: spec.layers[i]?.gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
        digest: sha256(blob),
        size: blob.length,
      })),
    }),
  );
  const name = spec.name ?? 'docker.io/library/app:1';
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256(manifest),
        size: manifest.length,
        annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.replace(/^.*:/, '') },
      },
    ],
  };
  // Lexical order, as a directory walk writes it: blobs first, then index.json, manifest.json.
  const blobFiles = new Map<string, Buffer>();
  for (const blob of [...blobs, config, manifest]) blobFiles.set(`blobs/sha256/${hex(sha256(blob))}`, blob);
  const files: TarFile[] = [
    { name: 'blobs/', type: 'directory' },
    { name: 'blobs/sha256/', type: 'directory' },
    ...[...blobFiles.keys()].sort().map((path) => ({ name: path, body: blobFiles.get(path) ?? Buffer.alloc(0) })),
    { name: 'index.json', body: JSON.stringify(index) },
  ];
  if (spec.withManifestJson) {
    files.push({
      name: 'manifest.json',
      body: JSON.stringify([
        { Config: `blobs/sha256/${hex(sha256(config))}`, RepoTags: [name], Layers: blobs.map((blob) => `blobs/sha256/${hex(sha256(blob))}`) },
      ]),
    });
  }
  files.push({ name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' });
  return { tar: await tarBuffer(files), config, diffIds, manifestDigest: sha256(manifest) };
}

/** A Readable that hands out `bytes` in small chunks, as a socket would. */
export function streamOf(bytes: Buffer, chunkSize = 4096): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < bytes.length; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
  }
  return Readable.from(chunks());
}
