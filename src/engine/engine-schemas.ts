/**
 * What the engine sends, parsed once at the edge. Schemas accept API 1.41 (Engine 20.10,
 * Podman 4) through 1.47: fields that newer engines dropped or older ones send as null
 * are optional, and unknown fields pass through unchecked.
 */
import { z } from 'zod';

/** Engine 20.10 lists untagged images as `<none>:<none>`; API 1.44+ sends [] instead. */
const NONE_TAG = '<none>:<none>';
const NONE_DIGEST = '<none>@<none>';

const stringList = z
  .array(z.string())
  .nullish()
  .transform((list) => list ?? []);

export const VersionResponse = z.object({
  Version: z.string(),
  ApiVersion: z.string(),
  Os: z.string(),
  Arch: z.string(),
  // Podman's Docker-compatible API names itself here ("Podman Engine").
  Components: z.array(z.object({ Name: z.string() })).nullish(),
});
export type VersionResponse = z.infer<typeof VersionResponse>;

export const InfoResponse = z.object({
  Name: z.string().nullish(),
  Driver: z.string().nullish(),
  DriverStatus: z.array(z.array(z.string())).nullish(),
});
export type InfoResponse = z.infer<typeof InfoResponse>;

export const ImageSummaryResponse = z.object({
  Id: z.string(),
  RepoTags: stringList,
  RepoDigests: stringList,
  Created: z.number(),
});
export type ImageSummaryResponse = z.infer<typeof ImageSummaryResponse>;

export const ImageListResponse = z.array(ImageSummaryResponse);
export type ImageListResponse = z.infer<typeof ImageListResponse>;

export const ImageInspectResponse = z.object({
  Id: z.string(),
  RepoTags: stringList,
  RepoDigests: stringList,
  Parent: z.string().nullish(),
  // Engine 25+ omits Created for images that carry no creation time.
  Created: z.string().nullish(),
  Os: z.string(),
  Architecture: z.string(),
  Variant: z.string().nullish(),
  Config: z
    .object({ Labels: z.record(z.string(), z.string()).nullish() })
    .nullish(),
  // RootFS.Layers is omitted for an image without layers.
  RootFS: z.object({ Layers: stringList }).nullish(),
  // API 1.48+ on the containerd image store: the manifest or index the image's Id names.
  Descriptor: z.object({ digest: z.string(), mediaType: z.string().nullish() }).nullish(),
});
export type ImageInspectResponse = z.infer<typeof ImageInspectResponse>;

export const HistoryItemResponse = z.object({
  Id: z.string(),
  Created: z.number(),
  CreatedBy: z.string().nullish(),
  Size: z.number(),
});
export type HistoryItemResponse = z.infer<typeof HistoryItemResponse>;

export const HistoryResponse = z.array(HistoryItemResponse);
export type HistoryResponse = z.infer<typeof HistoryResponse>;

export function withoutNoneTags(tags: string[]): string[] {
  return tags.filter((tag) => tag !== NONE_TAG);
}

export function withoutNoneDigests(digests: string[]): string[] {
  return digests.filter((digest) => digest !== NONE_DIGEST);
}

export const SNAPSHOTTER_DRIVER_TYPE = 'io.containerd.snapshotter.v1';

/** `docker info` shows the containerd image store as DriverStatus [["driver-type", "io.containerd.snapshotter.v1"]]. */
export function usesContainerdSnapshotter(info: InfoResponse): boolean {
  return (info.DriverStatus ?? []).some(([key, value]) => key === 'driver-type' && value === SNAPSHOTTER_DRIVER_TYPE);
}
