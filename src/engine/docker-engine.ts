/**
 * The one module that imports dockerode. The rest of basewatch sees `EngineClient`: a few
 * read operations with engine JSON parsed through zod, 404 as a value, and every other
 * failure as an `EngineError` that names the endpoint and the operation.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Module, createRequire } from 'node:module';
import type Dockerode from 'dockerode';
import type { ZodType } from 'zod';
import type { EngineEndpoint } from './endpoint.js';
import { parseEngineHost } from './endpoint.js';
import {
  HistoryResponse,
  ImageInspectResponse,
  ImageListResponse,
  InfoResponse,
  usesContainerdSnapshotter,
  VersionResponse,
  withoutNoneDigests,
  withoutNoneTags,
} from './engine-schemas.js';
import { classifyEngineFailure, EngineError } from './engine-error.js';
import { BUILD_TIMEOUT_MS, buildOperation, runBuild } from './engine-build.js';
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
  ImageDetails,
  ImageSummary,
} from './engine-client.js';
import { inferEmptyLayers } from './history-layers.js';
import { type EngineEvent, type EngineEventStream, IMAGE_EVENT_ACTIONS, readEngineEvents } from './engine-events.js';
import { readProgressStream } from './engine-stream.js';
import { readTarFiles } from './tar-files.js';

/**
 * dockerode 5 loads lib/session.js as it loads, and with it @grpc/grpc-js and protobufjs (some
 * 110 modules, ~6 MB of a daemon's resident memory) for BuildKit sessions, which it opens only for
 * a build with `version: '2'`. basewatch builds with the API's classic builder and never opens
 * one, so that module is swapped, before dockerode loads, for one that says so if it is ever
 * called. With another dockerode layout the swap is skipped and dockerode loads as it is.
 */
function loadDockerode(): typeof Dockerode {
  const require = createRequire(import.meta.url);
  try {
    const sessionPath = require.resolve('dockerode/lib/session.js');
    if (require.cache[sessionPath] === undefined) {
      const session = new Module(sessionPath);
      session.filename = sessionPath;
      session.loaded = true;
      session.exports = (_docker: unknown, _auth: unknown, handler: (error: Error) => void): void =>
        handler(new Error('basewatch builds with the classic builder and does not open BuildKit sessions'));
      require.cache[sessionPath] = session;
    }
  } catch {
    // Not where dockerode 5 keeps it: nothing to swap.
  }
  return require('dockerode') as typeof Dockerode;
}

const DockerodeClass = loadDockerode();

export { EngineError } from './engine-error.js';
export { BuildError } from './build-log.js';
export type { EngineFailure } from './engine-error.js';

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
  ImageDetails,
  ImageSummary,
} from './engine-client.js';

/**
 * The newest API version whose responses our schemas were written for. Against an older
 * engine we drop to its version, as the Docker CLI does; we cannot go lower than the engine
 * accepts either (Engine 29 rejects anything under 1.44), so this must stay >= 1.44.
 */
export const MAX_API_VERSION = '1.47';

/** min(engine, ours), or null (unversioned paths: the engine's default) if the engine did not say. */
export function negotiateApiVersion(engineVersion: string | null): string | null {
  if (engineVersion === null || !/^\d+\.\d+$/.test(engineVersion)) return null;
  return compareApiVersions(engineVersion, MAX_API_VERSION) < 0 ? engineVersion : MAX_API_VERSION;
}

export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}

export interface ModemTlsFiles {
  ca: Buffer | null;
  cert: Buffer | null;
  key: Buffer | null;
}

/**
 * docker-modem options for an endpoint. Every transport key is set, even to undefined,
 * because docker-modem merges our options over what it reads from DOCKER_HOST itself.
 */
export function modemOptions(endpoint: EngineEndpoint, files: ModemTlsFiles, env: NodeJS.ProcessEnv = process.env): Dockerode.DockerOptions {
  const parsed = parseEngineHost(endpoint.host);
  if (!parsed.ok) throw new TypeError(`engine host ${endpoint.host}: ${parsed.error}`);
  const host = parsed.host;
  const none = { socketPath: undefined, host: undefined, port: undefined, protocol: undefined, ca: undefined, cert: undefined, key: undefined };
  switch (host.kind) {
    case 'unix':
    case 'npipe':
      return { ...none, socketPath: host.path };
    case 'tcp': {
      if (endpoint.tls === null) return { ...none, host: host.hostname, port: host.port, protocol: 'http' };
      return {
        ...none,
        host: host.hostname,
        port: host.port,
        protocol: 'https',
        ca: files.ca ?? undefined,
        cert: files.cert ?? undefined,
        key: files.key ?? undefined,
      };
    }
    case 'ssh':
      // docker-modem runs `docker system dial-stdio` over ssh2, which reads neither
      // ~/.ssh/config nor key files: only the agent can authenticate.
      return {
        ...none,
        host: host.hostname,
        port: host.port,
        protocol: 'ssh',
        ...(host.username === null ? {} : { username: host.username }),
        sshOptions: { agent: env['SSH_AUTH_SOCK'] },
      };
  }
}

/** Pulls and loads of large images take long; they get their own, generous deadline. */
const TRANSFER_TIMEOUT_MS = 30 * 60 * 1000;

/** Container logs without a TTY come framed: 8-byte headers (stream, size) before each chunk. */
function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length && (raw[offset] === 1 || raw[offset] === 2) && raw.readUInt8(offset + 1) === 0) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return (offset === 0 ? raw : Buffer.concat(parts)).toString('utf8');
}

export function createEngineClient(endpoint: EngineEndpoint, options: EngineClientOptions = {}): EngineClient {
  return new DockerodeEngineClient(endpoint, options);
}

class DockerodeEngineClient implements EngineClient {
  readonly endpoint: EngineEndpoint;
  readonly #timeoutMs: number;
  #docker: Promise<Dockerode> | null = null;
  #negotiated = false;

  constructor(endpoint: EngineEndpoint, options: EngineClientOptions) {
    this.endpoint = endpoint;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    if (options.apiVersion !== undefined) {
      this.#pinnedVersion = negotiateApiVersion(options.apiVersion);
      this.#negotiated = true;
    }
  }

  #pinnedVersion: string | null = null;

  ping(): Promise<EnginePing> {
    return this.#call('ping', (docker) => this.#pingAndNegotiate(docker), false);
  }

  async #pingAndNegotiate(docker: Dockerode): Promise<EnginePing> {
    const ping = await rawPing(docker);
    if (!this.#negotiated) {
      this.#pinnedVersion = negotiateApiVersion(ping.apiVersion);
      this.#negotiated = true;
    }
    return ping;
  }

  info(): Promise<EngineInfo> {
    return this.#call('info', async (docker) => {
      const [version, info] = await Promise.all([docker.version(), docker.info()]);
      const v = this.#parse('info', VersionResponse, version);
      const i = this.#parse('info', InfoResponse, info);
      return {
        apiVersion: v.ApiVersion,
        serverVersion: v.Version,
        os: v.Os,
        architecture: v.Arch,
        storageDriver: i.Driver ?? '',
        containerdSnapshotter: usesContainerdSnapshotter(i),
        product: (v.Components ?? []).some((c) => /podman/i.test(c.Name)) ? 'podman' : 'docker',
        name: i.Name ?? '',
      };
    });
  }

  listImages(): Promise<ImageSummary[]> {
    return this.#call('list images', async (docker) => {
      const list = this.#parse('list images', ImageListResponse, await docker.listImages());
      return list.map((image) => ({
        id: image.Id,
        repoTags: withoutNoneTags(image.RepoTags),
        repoDigests: withoutNoneDigests(image.RepoDigests),
        created: image.Created,
      }));
    });
  }

  inspectImage(idOrRef: string): Promise<ImageDetails | null> {
    const operation = `inspect image ${idOrRef}`;
    return this.#call(operation, async (docker) => {
      const raw = await notFoundAsNull(docker.getImage(idOrRef).inspect());
      if (raw === null) return null;
      const image = this.#parse(operation, ImageInspectResponse, raw);
      return {
        id: image.Id,
        repoTags: withoutNoneTags(image.RepoTags),
        repoDigests: withoutNoneDigests(image.RepoDigests),
        labels: image.Config?.Labels ?? {},
        diffIds: image.RootFS?.Layers ?? [],
        os: image.Os,
        architecture: image.Architecture,
        variant: emptyAsNull(image.Variant),
        created: image.Created ?? '',
        parent: emptyAsNull(image.Parent),
      };
    });
  }

  imageHistory(idOrRef: string): Promise<HistoryEntry[]> {
    const operation = `read history of image ${idOrRef}`;
    return this.#call(operation, async (docker) => {
      const [rawHistory, rawImage] = await Promise.all([
        docker.getImage(idOrRef).history(),
        docker.getImage(idOrRef).inspect(),
      ]);
      const history = this.#parse(operation, HistoryResponse, rawHistory).reverse();
      const image = this.#parse(operation, ImageInspectResponse, rawImage);
      const totalLayers = image.RootFS?.Layers?.length ?? 0;
      const entries = history.map((item) => ({
        id: item.Id === '<missing>' || item.Id === '' ? null : item.Id,
        createdBy: item.CreatedBy ?? '',
        created: item.Created,
        size: item.Size,
      }));
      let layers = inferEmptyLayers(entries.map((e) => ({ ...e, layerCount: null })), totalLayers);
      if (layers.some((l) => l.basis === 'guessed')) {
        // Every local image along the chain tells how many layers existed after its step.
        const counts = await Promise.all(
          entries.map(async (e) => {
            if (e.id === null || e.id === image.Id) return null;
            const step = await notFoundAsNull(docker.getImage(e.id).inspect());
            if (step === null) return null;
            const parsed = ImageInspectResponse.safeParse(step);
            return parsed.success ? (parsed.data.RootFS?.Layers?.length ?? 0) : null;
          }),
        );
        layers = inferEmptyLayers(entries.map((e, i) => ({ ...e, layerCount: counts[i] ?? null })), totalLayers);
      }
      return entries.map((e, i) => ({
        id: e.id,
        createdBy: e.createdBy,
        created: e.created,
        size: e.size,
        emptyLayer: layers[i]?.emptyLayer ?? true,
        emptyLayerBasis: layers[i]?.basis ?? 'guessed',
      }));
    });
  }

  pullImage(ref: string, options: { auth?: EngineRegistryAuth | null; onProgress?: (message: string) => void } = {}): Promise<void> {
    const operation = `pull ${ref}`;
    return this.#call(
      operation,
      async (docker) => {
        const stream = (await docker.pull(ref, options.auth ? { authconfig: options.auth } : {})) as NodeJS.ReadableStream;
        const outcome = await readProgressStream(stream, (message) => {
          if (message.status !== undefined) options.onProgress?.(`${message.id ? `${message.id}: ` : ''}${message.status}`);
        });
        if (outcome.error !== null) {
          throw new EngineError({ endpoint: this.endpoint, operation, failure: 'http', detail: outcome.error });
        }
      },
      true,
      TRANSFER_TIMEOUT_MS,
    );
  }

  saveImage(idOrRef: string, options: { signal?: AbortSignal } = {}): Promise<NodeJS.ReadableStream> {
    // Only the response headers are under the deadline; the caller reads the body at its pace.
    return this.#call(`save image ${idOrRef}`, async (docker) => {
      const signal = options.signal;
      if (signal === undefined) return (await docker.getImage(idOrRef).get()) as NodeJS.ReadableStream;
      signal.throwIfAborted();
      // As dockerode's image.get(), which takes no signal; docker-modem passes it to the request.
      return new Promise<NodeJS.ReadableStream>((resolve, reject) => {
        modemOf(docker).dial(
          { path: `/images/${idOrRef}/get`, method: 'GET', isStream: true, statusCodes: { 200: true, 500: 'server error' }, abortSignal: signal },
          (error: unknown, res: IncomingMessage | null) => {
            if (error !== null && error !== undefined) return reject(error);
            if (res === null) return reject(new Error('no response'));
            resolve(res);
          },
        );
      });
    });
  }

  loadImage(tar: NodeJS.ReadableStream, options: { onProgress?: (message: string) => void } = {}): Promise<{ loaded: string[] }> {
    const operation = 'load image';
    return this.#call(
      operation,
      async (docker) => {
        const response = (await docker.loadImage(tar, { quiet: true })) as NodeJS.ReadableStream;
        const loaded: string[] = [];
        const outcome = await readProgressStream(response, (message) => {
          const text = message.stream?.trim() ?? message.status ?? '';
          const match = /^Loaded image(?: ID)?: (\S+)$/.exec(text);
          if (match?.[1]) loaded.push(match[1]);
          if (text !== '') options.onProgress?.(text);
        });
        if (outcome.error !== null) {
          throw new EngineError({ endpoint: this.endpoint, operation, failure: 'http', detail: outcome.error });
        }
        return { loaded };
      },
      true,
      TRANSFER_TIMEOUT_MS,
    );
  }

  tagImage(source: string, ref: string): Promise<void> {
    const at = ref.lastIndexOf(':');
    const slash = ref.lastIndexOf('/');
    const repo = at > slash ? ref.slice(0, at) : ref;
    const tag = at > slash ? ref.slice(at + 1) : 'latest';
    return this.#call(`tag ${source} as ${ref}`, async (docker) => {
      await docker.getImage(source).tag({ repo, tag });
    });
  }

  removeImage(ref: string, options: { force?: boolean } = {}): Promise<boolean> {
    return this.#call(`remove image ${ref}`, async (docker) => {
      const removed = await notFoundAsNull(docker.getImage(ref).remove({ force: options.force === true, noprune: false }));
      return removed !== null;
    });
  }

  runContainer(image: string, options: { cmd?: string[]; entrypoint?: string[]; timeoutMs: number }): Promise<ContainerRun> {
    const operation = `run a container of ${image}`;
    return this.#call(
      operation,
      async (docker) => {
        const container = await docker.createContainer({
          Image: image,
          ...(options.cmd ? { Cmd: options.cmd } : {}),
          ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
          Labels: { 'basewatch.temporary': '1' },
          HostConfig: { NetworkMode: 'none' },
        });
        try {
          await container.start();
          const status = (await container.wait()) as { StatusCode?: number };
          const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
          return { exitCode: status.StatusCode ?? -1, output: demuxLogs(logs).slice(-65_536) };
        } finally {
          await container.remove({ force: true }).catch(() => undefined);
        }
      },
      true,
      options.timeoutMs,
    );
  }

  readImageFiles(image: string, paths: readonly string[]): Promise<Map<string, Buffer>> {
    return this.#call(`read files of image ${image}`, async (docker) => {
      // A created container is never started: its filesystem is the image's, read through the API.
      const container = await docker.createContainer({ Image: image, Cmd: ['/nonexistent'], Labels: { 'basewatch.temporary': '1' } });
      const files = new Map<string, Buffer>();
      try {
        for (const wanted of paths) {
          const archive = await notFoundAsNull(container.getArchive({ path: wanted }) as Promise<NodeJS.ReadableStream>);
          if (archive === null) continue;
          for (const [name, bytes] of await readTarFiles(archive)) {
            const parent = wanted.replace(/\/[^/]*$/, '');
            files.set(`${parent}/${name}`.replace(/^\/+/, ''), bytes);
          }
        }
        return files;
      } finally {
        await container.remove({ force: true }).catch(() => undefined);
      }
    });
  }

  listContainers(options: { ancestor?: string; label?: string; all?: boolean } = {}): Promise<ContainerSummary[]> {
    return this.#call('list containers', async (docker) => {
      const filters = {
        ...(options.ancestor ? { ancestor: [options.ancestor] } : {}),
        ...(options.label ? { label: [options.label] } : {}),
      };
      const list = (await docker.listContainers({
        all: options.all ?? true,
        ...(Object.keys(filters).length > 0 ? { filters: JSON.stringify(filters) } : {}),
      })) as Array<{ Id: string; Names?: string[]; Image: string; ImageID: string; State: string }>;
      return list.map((c) => ({ id: c.Id, names: c.Names ?? [], image: c.Image, imageId: c.ImageID, state: c.State }));
    });
  }

  buildImage(context: BuildContextSpec, options: BuildOptions): Promise<BuildResult> {
    return this.#call(
      buildOperation(context),
      (docker) =>
        runBuild(
          {
            endpoint: this.endpoint,
            postBuild: async (tar, query) => {
              // A silent RUN (a long compile) sends nothing for minutes: this request gets a modem of
              // its own whose socket idle timeout is the build's deadline, not the per-request one.
              const modem = Object.assign(Object.create(Object.getPrototypeOf(docker.modem) as object) as object, docker.modem, { timeout: BUILD_TIMEOUT_MS + 1000 });
              const builder = new DockerodeClass({ modem } as Dockerode.DockerOptions);
              return (await builder.buildImage(tar, query as unknown as Dockerode.ImageBuildOptions)) as NodeJS.ReadableStream;
            },
            inspectImage: (idOrRef) => this.inspectImage(idOrRef),
          },
          context,
          options,
        ),
      true,
      BUILD_TIMEOUT_MS,
    );
  }

  async events(onEvent: (event: EngineEvent) => void): Promise<EngineEventStream> {
    // A stream open for hours gets a dockerode of its own: the shared one's socket timeout would
    // end it after any quiet spell longer than a request deadline.
    const docker = await this.#openDockerode('events');
    modemOf(docker).timeout = undefined;
    return this.#call('events', async () => {
      if (this.#pinnedVersion !== null) modemOf(docker).version = `v${this.#pinnedVersion}`;
      const stream = await docker.getEvents({ filters: { type: ['image'], event: [...IMAGE_EVENT_ACTIONS] } });
      return readEngineEvents(stream, onEvent);
    });
  }

  removeContainer(id: string): Promise<boolean> {
    return this.#call(`remove container ${id}`, async (docker) => (await notFoundAsNull(docker.getContainer(id).remove({ force: true }))) !== null);
  }

  /** Runs one operation with the negotiated API version, a deadline, and errors in our terms. */
  async #call<T>(operation: string, run: (docker: Dockerode) => Promise<T>, negotiate = true, timeoutMs = this.#timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new EngineError({ endpoint: this.endpoint, operation, failure: 'timeout', detail: `no answer within ${timeoutMs} ms` }));
      }, timeoutMs);
    });
    const work = (async () => {
      const docker = await this.#dockerode(operation);
      if (negotiate && !this.#negotiated) await this.#pingAndNegotiate(docker);
      if (this.#pinnedVersion !== null) modemOf(docker).version = `v${this.#pinnedVersion}`;
      return run(docker);
    })();
    try {
      return await Promise.race([work, deadline]);
    } catch (error) {
      if (error instanceof EngineError) throw error;
      throw new EngineError({ endpoint: this.endpoint, operation, ...classifyEngineFailure(error) });
    } finally {
      clearTimeout(timer);
      // A request that lost the race still settles later; nobody is waiting for it.
      work.catch(() => undefined);
    }
  }

  #dockerode(operation: string): Promise<Dockerode> {
    this.#docker ??= this.#openDockerode(operation).catch((error: unknown) => {
      this.#docker = null; // let a later call retry, e.g. once the cert files exist
      throw error;
    });
    return this.#docker;
  }

  async #openDockerode(operation: string): Promise<Dockerode> {
    const tls = this.endpoint.tls;
    const load = async (file: string | null, what: string): Promise<Buffer | null> => {
      if (file === null) return null;
      try {
        return await readFile(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new EngineError({ endpoint: this.endpoint, operation, failure: 'tls-files', detail: `cannot read TLS ${what} ${file} (${code})` });
      }
    };
    const files = {
      ca: await load(tls?.caFile ?? null, 'CA certificate'),
      cert: await load(tls?.certFile ?? null, 'client certificate'),
      key: await load(tls?.keyFile ?? null, 'client key'),
    };
    const options = modemOptions(this.endpoint, files);
    const docker = withoutDockerHostEnv(() => new DockerodeClass(options));
    // docker-modem (5.0.7) sends no AbortSignal or keep-alive agent; its own socket timeout
    // only frees a request that lost our deadline, so it is set a little later.
    modemOf(docker).timeout = this.#timeoutMs + 1000;
    if (tls !== null && !tls.verify) {
      // SkipTLSVerify: encrypt, but accept any certificate and name, as the Docker CLI does.
      // Agent options win over request options in node:https, so this reaches every request.
      modemOf(docker).agent = new HttpsAgent({ rejectUnauthorized: false, checkServerIdentity: () => undefined });
    }
    return docker;
  }

  #parse<T>(operation: string, schema: ZodType<T>, data: unknown): T {
    const result = schema.safeParse(data);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const where = issue === undefined ? '' : `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
    throw new EngineError({ endpoint: this.endpoint, operation, failure: 'bad-response', detail: `unexpected answer from the engine (${where})` });
  }
}

/**
 * docker-modem's constructor reads DOCKER_HOST (and with it DOCKER_CERT_PATH, whose files it
 * reads synchronously) and throws on a value it cannot parse, even when we pass a complete
 * endpoint. We resolve the endpoint ourselves, so hide the variable while it runs.
 */
function withoutDockerHostEnv<T>(make: () => T): T {
  const saved = process.env['DOCKER_HOST'];
  if (saved === undefined) return make();
  delete process.env['DOCKER_HOST'];
  try {
    return make();
  } finally {
    process.env['DOCKER_HOST'] = saved;
  }
}

/** The docker-modem fields we set after construction; @types/docker-modem does not list them. */
interface ModemInternals {
  version?: string;
  timeout?: number;
  agent?: HttpsAgent;
  dial(options: object, callback: (error: unknown, res: IncomingMessage | null) => void): void;
}

function modemOf(docker: Dockerode): ModemInternals {
  return docker.modem as unknown as ModemInternals;
}

/** GET /_ping through the modem's transport (unix, tcp, tls, ssh, npipe) keeping the headers. */
function rawPing(docker: Dockerode): Promise<EnginePing> {
  return new Promise((resolve, reject) => {
    modemOf(docker).dial(
      { path: '/_ping', method: 'GET', isStream: true, statusCodes: { 200: true, 500: 'server error' }, options: {} },
      (error: unknown, res: IncomingMessage | null) => {
        if (error !== null && error !== undefined) return reject(error);
        if (res === null) return reject(new Error('no response'));
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').trim();
          const header = (name: string) => {
            const value = res.headers[name];
            return typeof value === 'string' && value !== '' ? value : null;
          };
          if (body !== 'OK') return reject(Object.assign(new Error(`answered /_ping with "${body.slice(0, 40)}" instead of OK`), { notDocker: true }));
          resolve({ apiVersion: header('api-version'), osType: header('ostype') });
        });
      },
    );
  });
}

async function notFoundAsNull<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return null;
    throw error;
  }
}

function emptyAsNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
