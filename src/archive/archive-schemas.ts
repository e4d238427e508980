/**
 * The JSON documents of an image archive, parsed once at the edge. Only the fields we use
 * are declared; everything else passes through untouched (we never re-serialise these).
 */
import { z } from 'zod';

const digest = z.string().regex(/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/, 'a digest like sha256:<hex>');

/** `manifest.json` of the legacy `docker save` layout (also written by Engine 25+ beside index.json). */
export const DockerSaveManifestSchema = z.array(
  z.object({
    Config: z.string().min(1),
    RepoTags: z.array(z.string()).nullish(),
    Layers: z.array(z.string().min(1)),
  }),
);
export type DockerSaveManifest = z.infer<typeof DockerSaveManifestSchema>;

const DescriptorSchema = z.object({
  mediaType: z.string().optional(),
  digest,
  size: z.number().int().nonnegative().optional(),
  annotations: z.record(z.string(), z.string()).nullish(),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

/** An OCI image index (index.json, or a nested multi-platform index blob). */
export const OciIndexSchema = z.object({
  manifests: z.array(DescriptorSchema),
});

/** An OCI (or Docker v2 schema 2) image manifest blob. */
export const OciManifestSchema = z.object({
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});

/** The part of an image config we check against the layers we hashed. */
export const ImageConfigRootfsSchema = z.object({
  rootfs: z.object({
    type: z.string().optional(),
    diff_ids: z.array(digest),
  }),
});
