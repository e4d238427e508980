/**
 * The engine's front door: `createEngineClient` and the `EngineClient` it returns, implemented
 * with dockerode. The rest of basewatch sees `EngineClient`: a few read operations with engine
 * JSON parsed through zod, 404 as a value, and every other failure as an `EngineError` that
 * names the endpoint and the operation.
 *
 * This file composes the adapter: the client owns the dockerode handle, the API version and each
 * operation's name and deadline; the work is done in image-, container-, system- and
 * build-and-event-requests.ts. Only dockerode-handle.ts imports dockerode, and only when an
 * operation needs it: on a unix socket the reads a check makes go over node:http (engine-reads.ts).
 */
import { negotiateApiVersion } from './api-version.js';
import * as containers from './container-requests.js';
import type { Dockerode } from './dockerode-handle.js';
import type { EngineEndpoint } from './endpoint.js';
import { parseEngineHost } from './endpoint.js';
import { BUILD_TIMEOUT_MS, buildOperation, runBuild } from './engine-build.js';
import { callWithDeadline, type EngineCall, type EngineReadCall } from './engine-call.js';
import { type EngineReads, dockerodeReads, socketReads } from './engine-reads.js';
import type {
  BuildContextSpec,
  BuildOptions,
  BuildResult,
  ContainerRun,
  ContainerSummary,
  EngineClient,
  EngineClientOptions,
  EngineInfo,
  EnginePing,
  EngineRegistryAuth,
  HistoryEntry,
  HistoryStepLine,
  ImageDetails,
  ImageSummary,
} from './engine-client.js';
import type { EngineEvent, EngineEventStream } from './engine-events.js';
import * as images from './image-requests.js';
import { modemOf } from './modem-internals.js';
import { openDockerode } from './modem-options.js';
import { readEngineInfo } from './system-requests.js';

export { EngineError } from './engine-error.js';
export { BuildError } from './build-log.js';
export type { EngineFailure } from './engine-error.js';
export { compareApiVersions, MAX_API_VERSION, negotiateApiVersion } from './api-version.js';
export { modemOptions } from './modem-options.js';
export type { ModemTlsFiles } from './modem-options.js';

export type {
  BuildContextSpec,
  BuildOptions,
  BuildResult,
  ContainerRun,
  ContainerSummary,
  EngineRegistryAuth,
  EngineClient,
  EngineClientOptions,
  EngineInfo,
  EnginePing,
  HistoryEntry,
  HistoryStepLine,
  ImageDetails,
  ImageSummary,
} from './engine-client.js';

/** Pulls and loads of large images take long; they get their own, generous deadline. */
const TRANSFER_TIMEOUT_MS = 30 * 60 * 1000;

export function createEngineClient(endpoint: EngineEndpoint, options: EngineClientOptions = {}): EngineClient {
  return new DockerodeEngineClient(endpoint, options);
}

class DockerodeEngineClient implements EngineClient {
  readonly endpoint: EngineEndpoint;
  readonly #timeoutMs: number;
  #docker: Promise<Dockerode> | null = null;
  #reads: EngineReads | null = null;
  #negotiated = false;
  #pinnedVersion: string | null = null;
  #containerdStore: Promise<boolean> | null = null;
  readonly #configDigests = new Map<string, string>();

  constructor(endpoint: EngineEndpoint, options: EngineClientOptions) {
    this.endpoint = endpoint;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    if (options.apiVersion !== undefined) {
      this.#pinnedVersion = negotiateApiVersion(options.apiVersion);
      this.#negotiated = true;
    }
  }

  ping(): Promise<EnginePing> {
    return this.#read('ping', ({ reads }) => this.#pingAndNegotiate(reads), false);
  }

  async #pingAndNegotiate(reads: EngineReads): Promise<EnginePing> {
    const ping = await reads.ping();
    if (!this.#negotiated) {
      this.#pinnedVersion = negotiateApiVersion(ping.apiVersion);
      this.#negotiated = true;
    }
    return ping;
  }

  info(): Promise<EngineInfo> {
    const info = this.#read('info', (call) => readEngineInfo(call));
    // A check asks for info first; its answer also settles the image store, which the image list
    // would otherwise ask /info and /version again for (two round trips before the list).
    this.#containerdStore ??= this.#storeOf(info);
    return info;
  }

  listImages(): Promise<ImageSummary[]> {
    // The containerd store hides the images a pull left nameless (`moby-dangling@…`) from the default
    // list; `all` shows them, and there are no intermediate build images to wade through.
    return this.#read('list images', async (call) => images.listImages(call, await this.#usesContainerdStore()));
  }

  inspectImage(idOrRef: string): Promise<ImageDetails | null> {
    return this.#read(`inspect image ${idOrRef}`, (call) => images.inspectImage(call, idOrRef, this.#configSource()));
  }

  configDigestOf(image: Pick<ImageDetails, 'id' | 'os' | 'architecture' | 'variant'>): Promise<string> {
    const platform = { os: image.os, architecture: image.architecture, variant: image.variant };
    return this.#call(`read the config digest of ${image.id}`, (call) => images.configDigestOf(call, image.id, platform, this.#configSource()), true, TRANSFER_TIMEOUT_MS);
  }

  #configSource(): images.ConfigDigestSource {
    return { containerdStore: () => this.#usesContainerdStore(), known: this.#configDigests };
  }

  /**
   * Asked once per client: the image store does not change while an engine runs. An engine that
   * will not say (no /info) is taken for the classic store, whose answers need no second look;
   * a later call asks again.
   */
  #usesContainerdStore(): Promise<boolean> {
    if (this.#containerdStore === null) void this.info();
    return this.#containerdStore ?? Promise.resolve(false);
  }

  #storeOf(info: Promise<EngineInfo>): Promise<boolean> {
    return info.then(
      (answer) => answer.containerdSnapshotter,
      () => {
        this.#containerdStore = null;
        return false;
      },
    );
  }

  imageHistory(idOrRef: string): Promise<HistoryEntry[]> {
    return this.#read(`read history of image ${idOrRef}`, (call) => images.imageHistory(call, idOrRef));
  }

  imageSteps(idOrRef: string): Promise<HistoryStepLine[]> {
    return this.#read(`read history of image ${idOrRef}`, (call) => images.imageSteps(call, idOrRef));
  }

  pullImage(ref: string, options: { auth?: EngineRegistryAuth | null; onProgress?: (message: string) => void } = {}): Promise<void> {
    return this.#call(`pull ${ref}`, (call) => images.pullImage(call, ref, options), true, TRANSFER_TIMEOUT_MS);
  }

  saveImage(idOrRef: string, options: { signal?: AbortSignal } = {}): Promise<NodeJS.ReadableStream> {
    // Only the response headers are under the deadline; the caller reads the body at its pace.
    return this.#call(`save image ${idOrRef}`, (call) => images.saveImage(call, idOrRef, options));
  }

  loadImage(tar: NodeJS.ReadableStream, options: { onProgress?: (message: string) => void } = {}): Promise<{ loaded: string[] }> {
    return this.#call('load image', (call) => images.loadImage(call, tar, options), true, TRANSFER_TIMEOUT_MS);
  }

  tagImage(source: string, ref: string): Promise<void> {
    return this.#call(`tag ${source} as ${ref}`, (call) => images.tagImage(call, source, ref));
  }

  removeImage(ref: string, options: { force?: boolean } = {}): Promise<boolean> {
    return this.#call(`remove image ${ref}`, (call) => images.removeImage(call, ref, options));
  }

  runContainer(image: string, options: { cmd?: string[]; entrypoint?: string[]; timeoutMs: number }): Promise<ContainerRun> {
    return this.#call(`run a container of ${image}`, (call) => containers.runContainer(call, image, options), true, options.timeoutMs);
  }

  readImageFiles(image: string, paths: readonly string[]): Promise<Map<string, Buffer>> {
    return this.#call(`read files of image ${image}`, (call) => containers.readImageFiles(call, image, paths));
  }

  listContainers(options: { ancestor?: string; label?: string; all?: boolean } = {}): Promise<ContainerSummary[]> {
    return this.#call('list containers', (call) => containers.listContainers(call, options));
  }

  removeContainer(id: string): Promise<boolean> {
    return this.#call(`remove container ${id}`, (call) => containers.removeContainer(call, id));
  }

  buildImage(context: BuildContextSpec, options: BuildOptions): Promise<BuildResult> {
    return this.#call(
      buildOperation(context),
      async (call) => {
        const { dockerodeBuildTransport } = await import('./build-and-event-requests.js');
        return runBuild(dockerodeBuildTransport(call, (idOrRef) => this.inspectImage(idOrRef)), context, options);
      },
      true,
      BUILD_TIMEOUT_MS,
    );
  }

  async events(onEvent: (event: EngineEvent) => void): Promise<EngineEventStream> {
    const { openEventsDockerode, streamImageEvents } = await import('./build-and-event-requests.js');
    const docker = await openEventsDockerode(this.endpoint, this.#timeoutMs);
    return this.#call('events', () => streamImageEvents(docker, this.#pinnedVersion, onEvent));
  }

  /** Runs one operation with the negotiated API version, a deadline, and errors in our terms. */
  #call<T>(operation: string, run: (call: EngineCall) => Promise<T>, negotiate = true, timeoutMs = this.#timeoutMs): Promise<T> {
    return callWithDeadline(this.endpoint, operation, timeoutMs, async () => {
      const docker = await this.#dockerode(operation);
      const reads = await this.#engineReads(operation);
      if (negotiate && !this.#negotiated) await this.#pingAndNegotiate(reads);
      if (this.#pinnedVersion !== null) modemOf(docker).version = `v${this.#pinnedVersion}`;
      return run({ docker, reads, endpoint: this.endpoint, operation });
    });
  }

  /** As #call, for an operation that only reads: no dockerode on a unix socket. */
  #read<T>(operation: string, run: (call: EngineReadCall) => Promise<T>, negotiate = true, timeoutMs = this.#timeoutMs): Promise<T> {
    return callWithDeadline(this.endpoint, operation, timeoutMs, async () => {
      const reads = await this.#engineReads(operation);
      if (negotiate && !this.#negotiated) await this.#pingAndNegotiate(reads);
      if (this.#pinnedVersion !== null && this.#docker !== null) modemOf(await this.#docker).version = `v${this.#pinnedVersion}`;
      return run({ reads, endpoint: this.endpoint, operation });
    });
  }

  /** Over node:http on a unix socket; through dockerode (and its TLS, ssh, npipe) otherwise. */
  async #engineReads(operation: string): Promise<EngineReads> {
    if (this.#reads !== null) return this.#reads;
    const parsed = parseEngineHost(this.endpoint.host);
    if (parsed.ok && parsed.host.kind === 'unix') {
      // The same socket idle timeout docker-modem was given (modem-options.ts).
      this.#reads = socketReads({ socketPath: parsed.host.path, apiVersion: () => this.#pinnedVersion, idleTimeoutMs: this.#timeoutMs + 1000 });
    } else {
      this.#reads = dockerodeReads(await this.#dockerode(operation));
    }
    return this.#reads;
  }

  #dockerode(operation: string): Promise<Dockerode> {
    this.#docker ??= openDockerode(this.endpoint, operation, this.#timeoutMs).catch((error: unknown) => {
      this.#docker = null; // let a later call retry, e.g. once the cert files exist
      throw error;
    });
    return this.#docker;
  }
}
