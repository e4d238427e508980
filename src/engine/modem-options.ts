/**
 * How the adapter reaches an endpoint: docker-modem options for its host (unix, npipe, tcp with
 * or without TLS, ssh), the TLS files they carry, and a dockerode opened with them.
 */
import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import type { DockerOptions, Dockerode } from './dockerode-handle.js';
import { modemOf } from './modem-internals.js';
import type { EngineEndpoint } from './endpoint.js';
import { parseEngineHost } from './endpoint.js';
import { EngineError } from './engine-error.js';

export interface ModemTlsFiles {
  ca: Buffer | null;
  cert: Buffer | null;
  key: Buffer | null;
}

/**
 * docker-modem options for an endpoint. Every transport key is set, even to undefined,
 * because docker-modem merges our options over what it reads from DOCKER_HOST itself.
 */
export function modemOptions(endpoint: EngineEndpoint, files: ModemTlsFiles, env: NodeJS.ProcessEnv = process.env): DockerOptions {
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

/** The endpoint's CA, certificate and key; a file that cannot be read fails `operation` as `tls-files`. */
export async function readModemTlsFiles(endpoint: EngineEndpoint, operation: string): Promise<ModemTlsFiles> {
  const tls = endpoint.tls;
  const load = async (file: string | null, what: string): Promise<Buffer | null> => {
    if (file === null) return null;
    try {
      return await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new EngineError({ endpoint, operation, failure: 'tls-files', detail: `cannot read TLS ${what} ${file} (${code})` });
    }
  };
  return {
    ca: await load(tls?.caFile ?? null, 'CA certificate'),
    cert: await load(tls?.certFile ?? null, 'client certificate'),
    key: await load(tls?.keyFile ?? null, 'client key'),
  };
}

/** A dockerode for `endpoint` whose requests time out a little after `timeoutMs`. */
export async function openDockerode(endpoint: EngineEndpoint, operation: string, timeoutMs: number): Promise<Dockerode> {
  const tls = endpoint.tls;
  const files = await readModemTlsFiles(endpoint, operation);
  const options = modemOptions(endpoint, files);
  // Loaded with the first dockerode a run needs: a check on a unix socket needs none (engine-reads.ts).
  const { createDockerode } = await import('./dockerode-handle.js');
  const docker = createDockerode(options);
  // docker-modem (5.0.7) sends no AbortSignal or keep-alive agent; its own socket timeout
  // only frees a request that lost our deadline, so it is set a little later.
  modemOf(docker).timeout = timeoutMs + 1000;
  if (tls !== null && !tls.verify) {
    // SkipTLSVerify: encrypt, but accept any certificate and name, as the Docker CLI does.
    // Agent options win over request options in node:https, so this reaches every request.
    modemOf(docker).agent = new HttpsAgent({ rejectUnauthorized: false, checkServerIdentity: () => undefined });
  }
  return docker;
}
