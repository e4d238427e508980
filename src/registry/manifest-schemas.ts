/**
 * What registries send, parsed once at the edge. Unknown fields pass through unchecked:
 * registries add annotations and vendor fields freely.
 */
import { z } from 'zod';

export const MEDIA_TYPE_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MEDIA_TYPE_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MEDIA_TYPE_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_TYPE_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/**
 * Sent on every manifest request: a registry that is not told it may answer with an index or
 * an OCI manifest falls back to schema1 (a different digest from what `docker pull` records).
 */
export const MANIFEST_ACCEPT = [MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST].join(', ');

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
export const Digest = z.string().regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/, 'not a digest');

export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST.test(value);
}

export const Platform = z.looseObject({
  architecture: z.string(),
  os: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
});
export type Platform = z.infer<typeof Platform>;

export const Descriptor = z.looseObject({
  mediaType: z.string(),
  digest: Digest,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

export const IndexEntry = Descriptor.extend({ platform: Platform.optional() });
export type IndexEntry = z.infer<typeof IndexEntry>;

/** An OCI image index or a Docker manifest list. */
export const ManifestIndex = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.enum([MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_LIST]).optional(),
  manifests: z.array(IndexEntry),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ManifestIndex = z.infer<typeof ManifestIndex>;

/** An OCI image manifest or a Docker v2 schema2 manifest. */
export const ImageManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.enum([MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST]).optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

/** Just enough to tell schema1 (and garbage) from the formats we parse. */
export const ManifestEnvelope = z.looseObject({
  schemaVersion: z.number(),
  mediaType: z.string().optional(),
});

/** The token endpoint's answer (distribution token spec; OAuth2 servers say access_token). */
export const TokenResponse = z.looseObject({
  token: z.string().min(1).optional(),
  access_token: z.string().min(1).optional(),
  expires_in: z.number().positive().optional(),
  issued_at: z.string().optional(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/** The registry's JSON error body (`{"errors":[{"code":"MANIFEST_UNKNOWN",...}]}`). */
export const RegistryErrorBody = z.looseObject({
  errors: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional() })),
});
