/**
 * What the rest of basewatch sees of the engine. docker-engine.ts implements it with
 * dockerode; tests and other modules can implement it without.
 */
import type { EngineEndpoint } from './endpoint.js';
import type { EmptyLayerBasis } from './history-layers.js';

export interface EngineInfo {
  /** The newest API version the engine speaks (not necessarily the one we use). */
  apiVersion: string;
  serverVersion: string;
  /** GOOS of the engine (`linux`), comparable with an image's `os`. */
  os: string;
  /** GOARCH of the engine (`amd64`, `arm64`), comparable with an image's `architecture`. */
  architecture: string;
  storageDriver: string;
  /** The containerd image store, which rejects `docker load` with placeholder layers. */
  containerdSnapshotter: boolean;
  name: string;
}

export interface ImageSummary {
  id: string;
  /** Without `<none>:<none>`. */
  repoTags: string[];
  /** Without `<none>@<none>`. */
  repoDigests: string[];
  /** Unix seconds. */
  created: number;
}

export interface ImageDetails {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  labels: Record<string, string>;
  /** RootFS.Layers, base first. */
  diffIds: string[];
  os: string;
  architecture: string;
  variant: string | null;
  /** RFC 3339 as the engine sends it; "" when the image records no creation time. */
  created: string;
  parent: string | null;
}

export interface HistoryEntry {
  /** The local image after this step, or null (`<missing>`: pulled, or built elsewhere). */
  id: string | null;
  createdBy: string;
  /** Unix seconds. */
  created: number;
  /** Whether this step added no entry to RootFS.Layers; see history-layers.ts for how we know. */
  emptyLayer: boolean;
  /** `guessed` when sizes and layer counts could not settle `emptyLayer`. */
  emptyLayerBasis: EmptyLayerBasis;
}

export interface EnginePing {
  /** `Api-Version` header: the newest API version the engine speaks; null if it did not say. */
  apiVersion: string | null;
  /** `OSType` header (`linux`, `windows`). */
  osType: string | null;
}

export interface EngineClient {
  readonly endpoint: EngineEndpoint;
  /** GET /_ping; also settles the API version used by every later request. */
  ping(): Promise<EnginePing>;
  info(): Promise<EngineInfo>;
  /** As `docker image ls`: top-level images, dangling ones included. */
  listImages(): Promise<ImageSummary[]>;
  /** null when the engine has no such image. */
  inspectImage(idOrRef: string): Promise<ImageDetails | null>;
  /** Oldest step first (the order of the config's history and of diffIds). */
  imageHistory(idOrRef: string): Promise<HistoryEntry[]>;
}

export interface EngineClientOptions {
  /** Per request, including the version handshake. Default 30 000 ms. */
  timeoutMs?: number;
  /** Use this API version (`1.41`) instead of negotiating it with a ping first. */
  apiVersion?: string;
}
