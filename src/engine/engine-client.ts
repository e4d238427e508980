/**
 * What the rest of basewatch sees of the engine. docker-engine.ts implements it with
 * dockerode; tests and other modules can implement it without.
 */
import type { EngineEndpoint } from './endpoint.js';
import type { EngineEvent, EngineEventStream } from './engine-events.js';
import type { EmptyLayerBasis } from './history-layers.js';
import type { BuildContextSpec } from './build-context.js';

export type { BuildContextSpec } from './build-context.js';

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
  /** Which engine answers the Docker API: Podman loads differently (no placeholder layers). */
  product: 'docker' | 'podman';
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
  /** The engine's image ID: the config digest on the classic store and Podman, the manifest or index digest on the containerd store. */
  id: string;
  /**
   * The image's config digest: equals id on the classic store and Podman. On the containerd store
   * only a `docker save` tells it, so inspect leaves it null until it was read once by
   * {@link EngineClient.configDigestOf} (a check reads it only for bases it must compare by it).
   */
  configDigest: string | null;
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
  /** Bytes of file content the step added (the engine's diff size; not the layer tar's size). */
  size: number;
  /** Whether this step added no entry to RootFS.Layers; see history-layers.ts for how we know. */
  emptyLayer: boolean;
  /** `guessed` when sizes and layer counts could not settle `emptyLayer`. */
  emptyLayerBasis: EmptyLayerBasis;
}

/** A history step as the engine lists it. */
export type HistoryStepLine = Pick<HistoryEntry, 'id' | 'createdBy' | 'created' | 'size'>;

export interface EnginePing {
  /** `Api-Version` header: the newest API version the engine speaks; null if it did not say. */
  apiVersion: string | null;
  /** `OSType` header (`linux`, `windows`). */
  osType: string | null;
}

/** Credentials for the engine's X-Registry-Auth header (pull). Never logged. */
export type EngineRegistryAuth =
  | { readonly username: string; readonly password: string; readonly serveraddress: string }
  | { readonly identitytoken: string; readonly serveraddress: string };

export interface ContainerRun {
  readonly exitCode: number;
  /** stdout and stderr, interleaved, at most 64 KiB (the tail). */
  readonly output: string;
}

export interface ContainerSummary {
  readonly id: string;
  readonly names: readonly string[];
  /** The image as the container was started (a name or an id). */
  readonly image: string;
  readonly imageId: string;
  readonly state: string;
}

export interface BuildOptions {
  /** Tags for the result; none builds by id only (the caller moves tags once it is happy). */
  readonly tags?: readonly string[];
  /** `--build-arg`s. */
  readonly buildArgs: Readonly<Record<string, string>>;
  /** `--target`; null builds the last stage. */
  readonly target: string | null;
  /** `--label`s stamped on the result. */
  readonly labels: Readonly<Record<string, string>>;
  /** `--pull`: the builder pulls every FROM image again, with `authconfigs`. */
  readonly pull: boolean;
  /** `--no-cache`. Default false. */
  readonly noCache?: boolean;
  /** Credentials the builder may use for its own pulls (X-Registry-Config), one per registry. Never logged. */
  readonly authconfigs?: readonly EngineRegistryAuth[];
  /** Each line of the build's output as it arrives (`Step 3/7 : RUN …`, the RUN's own output, …). */
  readonly onLogLine?: (line: string) => void;
}

export interface BuildResult {
  readonly imageId: string;
  /** The last lines of the build's output. */
  readonly logTail: readonly string[];
}

export interface EngineClient {
  readonly endpoint: EngineEndpoint;
  /** GET /_ping; also settles the API version used by every later request. */
  ping(): Promise<EnginePing>;
  info(): Promise<EngineInfo>;
  /**
   * The config digest of a local image (see ImageDetails.configDigest), read from its manifest on
   * the containerd store and kept for the client's life; the id when it cannot be read (the id
   * never equals an upstream config digest, so nothing is called current on it).
   */
  configDigestOf(image: Pick<ImageDetails, 'id' | 'os' | 'architecture' | 'variant'>): Promise<string>;
  /** As `docker image ls`: top-level images, dangling ones included. */
  listImages(): Promise<ImageSummary[]>;
  /** null when the engine has no such image. */
  inspectImage(idOrRef: string): Promise<ImageDetails | null>;
  /** Oldest step first (the order of the config's history and of diffIds). */
  imageHistory(idOrRef: string): Promise<HistoryEntry[]>;
  /**
   * The history's steps as the engine lists them, oldest first, without working out which of
   * them added a layer: one request, where `imageHistory` makes two or more (it inspects the
   * image, and the steps' images when sizes leave it open).
   */
  imageSteps(idOrRef: string): Promise<HistoryStepLine[]>;
  /** `docker pull ref`; rejects with the engine's own message when the stream reports an error. */
  pullImage(ref: string, options?: { auth?: EngineRegistryAuth | null; onProgress?: (message: string) => void }): Promise<void>;
  /**
   * `docker save`: the archive as a stream (legacy layout, plus OCI layout on Engine 25+). Aborting
   * `signal` cancels the request, and the stream once it flows.
   */
  saveImage(idOrRef: string, options?: { signal?: AbortSignal }): Promise<NodeJS.ReadableStream>;
  /**
   * `docker load`; rejects when the stream reports an error (an `error` field, or on the containerd
   * store a `stream` line that reads as one). Resolves to the ids/tags it says it loaded.
   */
  loadImage(tar: NodeJS.ReadableStream, options?: { onProgress?: (message: string) => void }): Promise<{ loaded: string[] }>;
  /** `docker tag source ref` (moves the tag when it exists). */
  tagImage(source: string, ref: string): Promise<void>;
  /** `docker rmi ref`; false when there was no such image. Without force, an image in use is kept (rejects). */
  removeImage(ref: string, options?: { force?: boolean }): Promise<boolean>;
  /** Runs a container to completion and removes it. */
  runContainer(image: string, options: { cmd?: string[]; entrypoint?: string[]; timeoutMs: number }): Promise<ContainerRun>;
  /** Reads files out of an image through a created (never started) container; missing paths are left out. */
  readImageFiles(image: string, paths: readonly string[]): Promise<Map<string, Buffer>>;
  /** Containers (running and stopped) whose image is `ancestor` or built on it, or that carry `label` (k=v). */
  listContainers(options?: { ancestor?: string; label?: string; all?: boolean }): Promise<ContainerSummary[]>;
  /** Removes a container (force: also a running one); false when there was none. */
  removeContainer(id: string): Promise<boolean>;
  /**
   * `docker build` through the engine's API (the classic builder: no BuildKit session). The
   * context is tarred with its ignore file honoured (see build-context.ts). Rejects with a
   * `BuildError` (an `EngineError` carrying the build's own error and the log tail) when the
   * build fails, although the engine answered 200.
   */
  buildImage(context: BuildContextSpec, options: BuildOptions): Promise<BuildResult>;
  /**
   * Image events (tag, pull, load, delete, …) as they happen, until `close()` or the engine goes
   * away (`closed` says why). Used by the daemon.
   */
  events(onEvent: (event: EngineEvent) => void): Promise<EngineEventStream>;
}

export interface EngineClientOptions {
  /** Per request, including the version handshake. Default 30 000 ms. */
  timeoutMs?: number;
  /** Use this API version (`1.41`) instead of negotiating it with a ping first. */
  apiVersion?: string;
}
