// Pushes content into a test registry with plain HTTP calls, so tests can build exactly the
// manifests and indexes they need (OCI and Docker flavours, attestation entries).
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Agent, fetch } from 'undici';

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** All four, as basewatch and the engines ask: a registry answers a manifest only in a type the request accepts. */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

export interface Pusher {
  /** `http://127.0.0.1:5000` or `https://…`. */
  url: string;
  /** Extra headers (Authorization) for every push request. */
  headers?: (repository: string) => Record<string, string>;
  /** CA for https registries. */
  ca?: string;
}

export const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function call(pusher: Pusher, repository: string, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}) {
  const dispatcher = pusher.ca ? new Agent({ connect: { ca: pusher.ca } }) : undefined;
  const url = path.startsWith('http') ? path : `${pusher.url}${path}`;
  const response = await fetch(url, {
    method,
    headers: { ...pusher.headers?.(repository), ...headers },
    ...(body ? { body } : {}),
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await response.text();
  await dispatcher?.close();
  return { status: response.status, headers: response.headers, text };
}

export async function pushBlob(pusher: Pusher, repository: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(bytes);
  const start = await call(pusher, repository, 'POST', `/v2/${repository}/blobs/uploads/`);
  assert.equal(start.status, 202, `blob upload start: ${start.status} ${start.text}`);
  const location = new URL(start.headers.get('location') ?? '', pusher.url);
  location.searchParams.set('digest', digest);
  const done = await call(pusher, repository, 'PUT', location.toString(), bytes, { 'Content-Type': 'application/octet-stream' });
  assert.equal(done.status, 201, `blob upload: ${done.status} ${done.text}`);
  return { digest, size: bytes.length };
}

export async function pushManifest(pusher: Pusher, repository: string, reference: string, mediaType: string, manifest: object): Promise<{ digest: string; size: number; bytes: Buffer }> {
  const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
  const result = await call(pusher, repository, 'PUT', `/v2/${repository}/manifests/${reference}`, bytes, { 'Content-Type': mediaType });
  assert.equal(result.status, 201, `manifest PUT ${repository}:${reference}: ${result.status} ${result.text}`);
  const digest = sha256(bytes);
  assert.equal(result.headers.get('docker-content-digest'), digest);
  return { digest, size: bytes.length, bytes };
}

export interface PushedImage {
  digest: string;
  size: number;
  configDigest: string;
  mediaType: string;
}

/** A one-layer image whose config names the platform; `seed` makes distinct content. */
export async function pushImage(
  pusher: Pusher,
  repository: string,
  reference: string,
  options: { os?: string; architecture?: string; variant?: string; seed?: string; docker?: boolean } = {},
): Promise<PushedImage> {
  const docker = options.docker ?? false;
  const layer = await pushBlob(pusher, repository, Buffer.from(`layer ${options.seed ?? randomUUID()}`));
  const config = await pushBlob(
    pusher,
    repository,
    Buffer.from(
      JSON.stringify({
        architecture: options.architecture ?? 'amd64',
        os: options.os ?? 'linux',
        ...(options.variant ? { variant: options.variant } : {}),
        config: { Labels: { seed: options.seed ?? '' } },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const manifest = await pushManifest(pusher, repository, reference, mediaType, {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  });
  return { digest: manifest.digest, size: manifest.size, configDigest: config.digest, mediaType };
}

export interface IndexChild {
  image: PushedImage;
  platform: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

/** An OCI index (or Docker manifest list) over already pushed children. */
export async function pushIndex(pusher: Pusher, repository: string, tag: string, children: IndexChild[], options: { docker?: boolean } = {}) {
  const mediaType = options.docker ? DOCKER_LIST : OCI_INDEX;
  return pushManifest(pusher, repository, tag, mediaType, {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((child) => ({
      mediaType: child.image.mediaType,
      digest: child.image.digest,
      size: child.image.size,
      platform: child.platform,
      ...(child.annotations ? { annotations: child.annotations } : {}),
    })),
  });
}

/**
 * A BuildKit-style multi-arch image: amd64, arm64/v8, arm/v7 children plus an
 * `unknown/unknown` attestation manifest that refers to the amd64 child.
 */
export async function pushMultiArch(pusher: Pusher, repository: string, tag: string, seeds: { amd64: string; arm64: string; armv7: string }, options: { docker?: boolean } = {}) {
  const docker = options.docker ?? false;
  const amd64 = await pushImage(pusher, repository, `${tag}-amd64`, { architecture: 'amd64', seed: seeds.amd64, docker });
  const arm64 = await pushImage(pusher, repository, `${tag}-arm64`, { architecture: 'arm64', variant: 'v8', seed: seeds.arm64, docker });
  const armv7 = await pushImage(pusher, repository, `${tag}-armv7`, { architecture: 'arm', variant: 'v7', seed: seeds.armv7, docker });
  const attestation = await pushImage(pusher, repository, `${tag}-att`, { os: 'unknown', architecture: 'unknown', seed: `att-${seeds.amd64}`, docker });
  const index = await pushIndex(
    pusher,
    repository,
    tag,
    [
      // Listed first on purpose: a naive "first linux or first entry" picker would take it.
      { image: attestation, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd64.digest } },
      { image: amd64, platform: { os: 'linux', architecture: 'amd64' } },
      { image: arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { image: armv7, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    ],
    { docker },
  );
  return { index, amd64, arm64, armv7, attestation };
}
