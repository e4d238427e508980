/**
 * Exact config bytes of a base image. From the registry (a small blob, verified against its
 * digest) when it has it; else from the engine's export of the local copy, reading only the
 * config (the layers stream past without being kept).
 */
import type { Readable } from 'node:stream';
import { readImageArchive } from '../../archive/read-image-archive.js';
import type { EngineClient } from '../../engine/docker-engine.js';
import type { ImageRef } from '../../refs/image-ref.js';
import type { PlatformSpec } from '../../refs/platform.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import { resolvePlatformManifest } from '../../registry/resolve-upstream.js';

export interface BaseConfig {
  readonly bytes: Buffer;
  /** sha256 of the bytes: the image ID a pull gives. */
  readonly configDigest: string;
  /** The digest the reference resolved to (index or manifest): what the base labels record. */
  readonly digest: string;
  /**
   * The IDs a local copy of it may have: the config digest (classic store, Podman), the
   * platform's manifest digest and the digest above (containerd store).
   */
  readonly imageIds: readonly string[];
  readonly source: 'registry' | 'engine';
}

export type BaseConfigResult = { readonly ok: true; readonly value: BaseConfig } | { readonly ok: false; readonly message: string };

export async function configFromRegistry(registry: RegistryClient, ref: ImageRef, platform: PlatformSpec): Promise<BaseConfigResult> {
  const resolved = await resolvePlatformManifest(registry, ref, platform);
  if (!resolved.ok) return { ok: false, message: resolved.message };
  if (resolved.unchanged) return { ok: false, message: 'unexpected "unchanged" answer without a known digest' };
  const blob = await registry.getBlob(ref, resolved.configDigest);
  if (!blob.ok) return { ok: false, message: blob.message };
  const imageIds = [...new Set([resolved.configDigest, resolved.platformDigest, resolved.digest])];
  return { ok: true, value: { bytes: blob.bytes, configDigest: resolved.configDigest, digest: resolved.digest, imageIds, source: 'registry' } };
}

export async function configFromEngine(engine: EngineClient, imageId: string, spoolDir: string): Promise<BaseConfigResult> {
  try {
    const archive = await readImageArchive((await engine.saveImage(imageId)) as Readable, {
      keepLayers: new Set(),
      spoolDir,
      image: imageId,
    });
    return { ok: true, value: { bytes: archive.configBytes, configDigest: archive.configDigest, digest: imageId, imageIds: archive.imageIds, source: 'engine' } };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** A config's rootfs.diff_ids, bottom first ([] when it has none). */
export function configDiffIds(configBytes: Buffer): string[] {
  return (JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
}
