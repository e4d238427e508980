// Just enough of the Docker Engine API over node:http for ping and cleanup; the world must
// not depend on the docker CLI or on the src/ engine module it is there to test.
import http from 'node:http';

export interface EngineEndpoint {
  socketPath?: string;
  host?: string;
  port?: number;
}

export function parseDockerHost(dockerHost: string): EngineEndpoint {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost.startsWith('tcp://')) {
    const url = new URL(`http://${dockerHost.slice('tcp://'.length)}`);
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  throw new Error(`unsupported DOCKER_HOST ${JSON.stringify(dockerHost)}: the test world speaks unix:// and plain tcp:// only`);
}

export interface EngineResponse {
  status: number;
  body: string;
}

export function engineRequest(
  endpoint: EngineEndpoint,
  method: string,
  path: string,
  timeoutMs = 30_000,
): Promise<EngineResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { ...endpoint, method, path, headers: { host: 'docker' }, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });
}

export async function engineJson<T>(endpoint: EngineEndpoint, path: string): Promise<T> {
  const response = await engineRequest(endpoint, 'GET', path);
  if (response.status !== 200) throw new Error(`GET ${path}: HTTP ${response.status} ${response.body.trim()}`);
  return JSON.parse(response.body) as T;
}

/** True when `GET /_ping` answers 200. */
export async function pingEngine(endpoint: EngineEndpoint): Promise<boolean> {
  try {
    const response = await engineRequest(endpoint, 'GET', '/_ping', 2_000);
    return response.status === 200;
  } catch {
    return false;
  }
}
