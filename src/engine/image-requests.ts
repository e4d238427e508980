/**
 * Images through dockerode: list, inspect, history, pull, save, load, tag, remove. Each takes the
 * `EngineCall` it runs in; the deadline and error mapping are the client's (docker-engine.ts).
 */
import type { IncomingMessage } from 'node:http';
import { type EngineCall, type EngineReadCall, notFoundAsNull, parseEngineAnswer } from './engine-call.js';
import { modemOf } from './modem-internals.js';
import type { EngineRegistryAuth, HistoryEntry, HistoryStepLine, ImageDetails, ImageSummary } from './engine-client.js';
import { EngineError } from './engine-error.js';
import { HistoryResponse, ImageInspectResponse, ImageListResponse, withoutNoneDigests, withoutNoneTags } from './engine-schemas.js';
import { readProgressStream } from './engine-stream.js';
import { inferEmptyLayers } from './history-layers.js';
import { type ImagePlatform, readConfigDigest } from './config-digest.js';

/** `all`: also the images the default list hides (on the containerd store, those a pull left nameless). */
export async function listImages(call: EngineReadCall, all: boolean): Promise<ImageSummary[]> {
  const list = parseEngineAnswer(call, ImageListResponse, await call.reads.listImages(all));
  return list.map((image) => ({
    id: image.Id,
    repoTags: withoutNoneTags(image.RepoTags),
    repoDigests: withoutNoneDigests(image.RepoDigests),
    created: image.Created,
  }));
}

/** What inspect needs beside the answer: on the containerd store the config digest is read from the image's manifest (config-digest.ts). */
export interface ConfigDigestSource {
  /** Whether the engine's Ids are manifest/index digests (containerd image store). */
  containerdStore(): Promise<boolean>;
  /** Config digests already read, by image Id (manifests are content-addressed: never stale). */
  readonly known: Map<string, string>;
}

export async function inspectImage(call: EngineReadCall, idOrRef: string, configs: ConfigDigestSource): Promise<ImageDetails | null> {
  const raw = await notFoundAsNull(call.reads.inspectImage(idOrRef));
  if (raw === null) return null;
  const image = parseEngineAnswer(call, ImageInspectResponse, raw);
  return {
    id: image.Id,
    configDigest: image.Descriptor == null && !(await configs.containerdStore()) ? image.Id : (configs.known.get(image.Id) ?? null),
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
}

/** The config digest of an image read from its manifest (containerd store); see EngineClient.configDigestOf. */
export async function configDigestOf(call: EngineCall, id: string, platform: ImagePlatform, configs: ConfigDigestSource): Promise<string> {
  if (!(await configs.containerdStore())) return id;
  const known = configs.known.get(id);
  if (known !== undefined) return known;
  let digest: string | null = null;
  try {
    digest = await readConfigDigest(await saveImage(call, id, {}), id, platform);
  } catch (error) {
    // Removed meanwhile, or content missing (a multi-platform image without this platform):
    // the Id is all we know. It never equals an upstream config digest, so a compare by config
    // says "unknown"/outdated rather than "current": callers prefer a RepoDigest where there is one.
    if (!(error instanceof Error)) throw error;
  }
  if (digest === null) return id;
  configs.known.set(id, digest);
  return digest;
}

type HistoryStep = HistoryStepLine;

/** The history's steps, oldest first: one request. */
export async function imageSteps(call: EngineReadCall, idOrRef: string): Promise<HistoryStep[]> {
  const history = parseEngineAnswer(call, HistoryResponse, await call.reads.imageHistory(idOrRef)).reverse();
  return history.map((item) => ({
    id: item.Id === '<missing>' || item.Id === '' ? null : item.Id,
    createdBy: item.CreatedBy ?? '',
    created: item.Created,
    size: item.Size,
  }));
}

export async function imageHistory(call: EngineReadCall, idOrRef: string): Promise<HistoryEntry[]> {
  const [entries, rawImage] = await Promise.all([imageSteps(call, idOrRef), call.reads.inspectImage(idOrRef)]);
  const image = parseEngineAnswer(call, ImageInspectResponse, rawImage);
  const totalLayers = image.RootFS?.Layers?.length ?? 0;
  let layers = inferEmptyLayers(entries.map((e) => ({ ...e, layerCount: null })), totalLayers);
  if (layers.some((l) => l.basis === 'guessed')) {
    const counts = await layerCountsOfSteps(call, entries, image.Id);
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
}

/** Every local image along the chain tells how many layers existed after its step; null where none does. */
async function layerCountsOfSteps(call: EngineReadCall, entries: readonly HistoryStep[], imageId: string): Promise<(number | null)[]> {
  return Promise.all(
    entries.map(async (e) => {
      if (e.id === null || e.id === imageId) return null;
      const step = await notFoundAsNull(call.reads.inspectImage(e.id));
      if (step === null) return null;
      const parsed = ImageInspectResponse.safeParse(step);
      return parsed.success ? (parsed.data.RootFS?.Layers?.length ?? 0) : null;
    }),
  );
}

export async function pullImage(
  call: EngineCall,
  ref: string,
  options: { auth?: EngineRegistryAuth | null; onProgress?: (message: string) => void },
): Promise<void> {
  const stream = (await call.docker.pull(ref, options.auth ? { authconfig: options.auth } : {})) as NodeJS.ReadableStream;
  const outcome = await readProgressStream(stream, (message) => {
    if (message.status !== undefined) options.onProgress?.(`${message.id ? `${message.id}: ` : ''}${message.status}`);
  });
  if (outcome.error !== null) {
    throw new EngineError({ endpoint: call.endpoint, operation: call.operation, failure: 'http', detail: outcome.error });
  }
}

export async function saveImage(call: EngineCall, idOrRef: string, options: { signal?: AbortSignal }): Promise<NodeJS.ReadableStream> {
  const signal = options.signal;
  if (signal === undefined) return (await call.docker.getImage(idOrRef).get()) as NodeJS.ReadableStream;
  signal.throwIfAborted();
  // As dockerode's image.get(), which takes no signal; docker-modem passes it to the request.
  return new Promise<NodeJS.ReadableStream>((resolve, reject) => {
    modemOf(call.docker).dial(
      { path: `/images/${idOrRef}/get`, method: 'GET', isStream: true, statusCodes: { 200: true, 500: 'server error' }, abortSignal: signal },
      (error: unknown, res: IncomingMessage | null) => {
        if (error !== null && error !== undefined) return reject(error);
        if (res === null) return reject(new Error('no response'));
        resolve(res);
      },
    );
  });
}

export async function loadImage(
  call: EngineCall,
  tar: NodeJS.ReadableStream,
  options: { onProgress?: (message: string) => void },
): Promise<{ loaded: string[] }> {
  const response = (await call.docker.loadImage(tar, { quiet: true })) as NodeJS.ReadableStream;
  const loaded: string[] = [];
  let streamedError: string | null = null;
  const outcome = await readProgressStream(response, (message) => {
    const text = message.stream?.trim() ?? message.status ?? '';
    const match = /^Loaded image(?: ID)?: (\S+)$/.exec(text);
    if (match?.[1]) loaded.push(match[1]);
    // The containerd store reports a failed load as a plain `stream` line ("Error unpacking
    // image …: wrong diff id calculated") with no `error` field (modern-engine.md).
    else if (streamedError === null && /\berror\b/i.test(text)) streamedError = text;
    if (text !== '') options.onProgress?.(text);
  });
  const failure = outcome.error ?? streamedError;
  if (failure !== null) {
    throw new EngineError({ endpoint: call.endpoint, operation: call.operation, failure: 'http', detail: failure });
  }
  return { loaded };
}

/** `repo[:tag]` as the engine's tag request takes it; no tag is `latest`. A registry port is not a tag. */
export function splitRepoTag(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  const slash = ref.lastIndexOf('/');
  const repo = at > slash ? ref.slice(0, at) : ref;
  const tag = at > slash ? ref.slice(at + 1) : 'latest';
  return { repo, tag };
}

export async function tagImage(call: EngineCall, source: string, ref: string): Promise<void> {
  await call.docker.getImage(source).tag(splitRepoTag(ref));
}

export async function removeImage(call: EngineCall, ref: string, options: { force?: boolean }): Promise<boolean> {
  const removed = await notFoundAsNull(call.docker.getImage(ref).remove({ force: options.force === true, noprune: false }));
  return removed !== null;
}

function emptyAsNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
