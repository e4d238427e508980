/**
 * The two long-running requests, each on a dockerode of its own: POST /build (what runBuild in
 * engine-build.ts sends through a `BuildTransport`) and GET /events, open for as long as the daemon runs.
 */
import { type Dockerode, dockerodeWithModemTimeout, type ImageBuildOptions, modemOf } from './dockerode-handle.js';
import { BUILD_TIMEOUT_MS, type BuildTransport } from './engine-build.js';
import type { EngineCall } from './engine-call.js';
import type { ImageDetails } from './engine-client.js';
import type { EngineEndpoint } from './endpoint.js';
import { type EngineEvent, type EngineEventStream, IMAGE_EVENT_ACTIONS, readEngineEvents } from './engine-events.js';
import { openDockerode } from './modem-options.js';

export function dockerodeBuildTransport(call: EngineCall, inspectImage: (idOrRef: string) => Promise<ImageDetails | null>): BuildTransport {
  return {
    endpoint: call.endpoint,
    postBuild: async (tar, query) => {
      // A silent RUN (a long compile) sends nothing for minutes: this request gets a modem of
      // its own whose socket idle timeout is the build's deadline, not the per-request one.
      const builder = dockerodeWithModemTimeout(call.docker, BUILD_TIMEOUT_MS + 1000);
      return (await builder.buildImage(tar, query as unknown as ImageBuildOptions)) as NodeJS.ReadableStream;
    },
    inspectImage,
  };
}

/**
 * A stream open for hours gets a dockerode of its own: the shared one's socket timeout would
 * end it after any quiet spell longer than a request deadline.
 */
export async function openEventsDockerode(endpoint: EngineEndpoint, timeoutMs: number): Promise<Dockerode> {
  const docker = await openDockerode(endpoint, 'events', timeoutMs);
  modemOf(docker).timeout = undefined;
  return docker;
}

/** GET /events for image events on `docker` (from `openEventsDockerode`), at `apiVersion` when settled. */
export async function streamImageEvents(docker: Dockerode, apiVersion: string | null, onEvent: (event: EngineEvent) => void): Promise<EngineEventStream> {
  if (apiVersion !== null) modemOf(docker).version = `v${apiVersion}`;
  const stream = await docker.getEvents({ filters: { type: ['image'], event: [...IMAGE_EVENT_ACTIONS] } });
  return readEngineEvents(stream, onEvent);
}
