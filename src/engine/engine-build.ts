/**
 * `docker build` through the engine's API (the classic builder): packs the context, sends it,
 * reads the build's output stream and turns a failed build, which the engine answers with 200,
 * into a `BuildError`. The request itself goes through `BuildTransport`, which
 * build-and-event-requests.ts provides over dockerode.
 */
import { BuildError, BuildLog, builtImageId } from './build-log.js';
import { packBuildContext } from './build-context.js';
import type { BuildContextSpec, BuildOptions, BuildResult, ImageDetails } from './engine-client.js';
import type { EngineEndpoint } from './endpoint.js';
import { classifyEngineFailure, EngineError } from './engine-error.js';
import { readProgressStream } from './engine-stream.js';

/** A build runs the user's RUN steps: compilers, test suites. Its deadline is longer than a request's. */
export const BUILD_TIMEOUT_MS = 2 * 60 * 60 * 1000;

/** The query of POST /build, as docker-modem encodes it. */
export interface BuildQuery {
  readonly dockerfile: string;
  readonly t?: string[];
  readonly buildargs: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly target?: string;
  readonly pull: boolean;
  readonly nocache: boolean;
  readonly rm: boolean;
  readonly forcerm: boolean;
  /** X-Registry-Config: credentials by registry. Never logged. */
  readonly registryconfig?: Record<string, unknown>;
}

export interface BuildTransport {
  readonly endpoint: EngineEndpoint;
  /**
   * POST /build with the context tar; resolves to the build's output stream once the engine
   * answers. Rejects as dockerode does when the engine refuses the build before it starts.
   */
  postBuild(tar: NodeJS.ReadableStream, query: BuildQuery): Promise<NodeJS.ReadableStream>;
  /** For a build that names its image by a short id only. */
  inspectImage(idOrRef: string): Promise<ImageDetails | null>;
}

/** The operation name a build's errors carry. */
export function buildOperation(context: BuildContextSpec): string {
  return `build ${context.dockerfile} in ${context.dir}`;
}

export async function runBuild(transport: BuildTransport, context: BuildContextSpec, options: BuildOptions): Promise<BuildResult> {
  const endpoint = transport.endpoint;
  const operation = buildOperation(context);
  const packed = await packBuildContext(context);
  const log = new BuildLog();
  const emit = (lines: string[]): void => lines.forEach((line) => options.onLogLine?.(line));
  let lastLine: string | null = null;
  let aux: Record<string, unknown> | undefined;
  const fail = (buildError: string, cause?: unknown): never => {
    throw new BuildError({ endpoint, operation, failure: 'http', buildError, logTail: log.tail(), cause });
  };
  // A failed read of the context (a file gone or unreadable mid-walk) ends the upload early.
  const packFailed = new Promise<never>((_, reject) => {
    packed.tar.once('error', (error: Error) => reject(new BuildError({
      endpoint, operation, failure: 'other', buildError: `cannot send the build context: ${error.message}`, logTail: log.tail(), cause: error,
    })));
  });
  packFailed.catch(() => undefined);
  const registryconfig = Object.fromEntries((options.authconfigs ?? []).map((auth) => [auth.serveraddress, auth]));
  const query: BuildQuery = {
    dockerfile: packed.dockerfile,
    ...(options.tags && options.tags.length > 0 ? { t: [...options.tags] } : {}),
    buildargs: { ...options.buildArgs },
    labels: { ...options.labels },
    ...(options.target === null ? {} : { target: options.target }),
    pull: options.pull,
    nocache: options.noCache === true,
    rm: true,
    forcerm: true,
    ...(Object.keys(registryconfig).length > 0 ? { registryconfig } : {}),
  };
  let response: NodeJS.ReadableStream;
  try {
    response = await Promise.race([transport.postBuild(packed.tar, query), packFailed]);
  } catch (error) {
    if (error instanceof BuildError) throw error;
    // The engine refused the build before it started (400/500: a Dockerfile it cannot parse, …).
    const failure = classifyEngineFailure(error);
    if (failure.failure === 'http' || failure.failure === 'not-found') {
      return fail(failure.detail.replace(/^HTTP \d+: /, ''), error);
    }
    throw new EngineError({ endpoint, operation, ...failure });
  }
  const outcome = await Promise.race([
    readProgressStream(response, (message) => {
      if (message.stream !== undefined) {
        const lines = log.push(message.stream);
        if (lines.length > 0) lastLine = lines.at(-1) ?? lastLine;
        emit(lines);
      } else if (message.status !== undefined && message.error === undefined) {
        // The builder's own pulls (pull: true) report status lines.
        emit(log.pushLine(`${message.id ? `${message.id}: ` : ''}${message.status}`));
      }
      if (message.aux !== undefined) aux = message.aux;
    }),
    packFailed,
  ]);
  emit(log.end());
  if (outcome.error !== null) {
    emit(log.pushLine(outcome.error));
    return fail(outcome.error);
  }
  const found = builtImageId(aux, lastLine);
  if (found === null) return fail('the build ended without naming the image it built');
  const imageId = found.startsWith('sha256:') ? found : ((await transport.inspectImage(found))?.id ?? fail(`the engine has no image ${found} after the build`));
  return { imageId, logTail: log.tail() };
}
