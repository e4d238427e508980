/**
 * The few GETs a check makes (ping, version, info, the image list, inspect, history), answered
 * as raw engine JSON, two ways: over node:http straight to a unix socket, or through dockerode for
 * every other transport (tcp, TLS, ssh, npipe). A check on the usual local socket then never loads
 * dockerode and docker-modem (some 60 modules with tar-fs and readable-stream, ~25 ms of every
 * run; project issue 14); what only dockerode does (pull, load, save, build, events, containers)
 * still goes through it. Failures look like docker-modem's (`statusCode`, `json`, errno `code`),
 * so classifyEngineFailure reads both alike.
 */
import http from 'node:http';
import type { Dockerode } from './dockerode-handle.js';
import type { EnginePing } from './engine-client.js';
import { modemOf } from './modem-internals.js';

export interface EngineReads {
  /** GET /_ping with the headers that settle the API version. */
  ping(): Promise<EnginePing>;
  version(): Promise<unknown>;
  info(): Promise<unknown>;
  /** `all`: also the images the default list hides. */
  listImages(all: boolean): Promise<unknown>;
  inspectImage(idOrRef: string): Promise<unknown>;
  imageHistory(idOrRef: string): Promise<unknown>;
}

function pingAnswer(body: string, header: (name: string) => string | null): EnginePing {
  if (body.trim() !== 'OK') throw Object.assign(new Error(`answered /_ping with "${body.trim().slice(0, 40)}" instead of OK`), { notDocker: true });
  return { apiVersion: header('api-version'), osType: header('ostype') };
}

/** Reads through a dockerode handle: what every transport but a unix socket uses. */
export function dockerodeReads(docker: Dockerode): EngineReads {
  return {
    ping: () =>
      new Promise((resolve, reject) => {
        modemOf(docker).dial(
          { path: '/_ping', method: 'GET', isStream: true, statusCodes: { 200: true, 500: 'server error' }, options: {} },
          (error: unknown, res: http.IncomingMessage | null) => {
            if (error !== null && error !== undefined) return reject(error);
            if (res === null) return reject(new Error('no response'));
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', reject);
            res.on('end', () => {
              try {
                resolve(pingAnswer(Buffer.concat(chunks).toString('utf8'), (name) => headerOf(res, name)));
              } catch (failure) {
                reject(failure);
              }
            });
          },
        );
      }),
    version: () => docker.version(),
    info: () => docker.info(),
    listImages: (all) => docker.listImages(all ? { all: true } : {}),
    inspectImage: (idOrRef) => docker.getImage(idOrRef).inspect(),
    imageHistory: (idOrRef) => docker.getImage(idOrRef).history(),
  };
}

function headerOf(res: http.IncomingMessage, name: string): string | null {
  const value = res.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

export interface SocketReadsOptions {
  /** The unix socket's path. */
  readonly socketPath: string;
  /** The API version to ask in (`1.41`), once negotiated; null: the engine's own. */
  readonly apiVersion: () => string | null;
  /** Socket idle timeout, ms: frees a request that lost its caller's deadline. */
  readonly idleTimeoutMs: number;
}

/** Reads over node:http to a unix socket, on one keep-alive agent (idle sockets do not hold the process). */
export function socketReads(options: SocketReadsOptions): EngineReads {
  const agent = new http.Agent({ keepAlive: true });
  const get = (path: string): Promise<{ status: number; statusText: string; body: string; res: http.IncomingMessage }> => {
    const version = options.apiVersion();
    return new Promise((resolve, reject) => {
      const request = http.request({ socketPath: options.socketPath, path: version === null ? path : `/v${version}${path}`, method: 'GET', agent, headers: { Host: 'localhost' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: Buffer.concat(chunks).toString('utf8'), res }));
      });
      request.setTimeout(options.idleTimeoutMs, () => request.destroy(Object.assign(new Error(`no answer within ${options.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
      request.once('error', reject);
      request.end();
    });
  };
  const json = async (path: string): Promise<unknown> => {
    const answer = await get(path);
    let value: unknown = answer.body;
    try {
      value = JSON.parse(answer.body);
    } catch {
      // Not JSON: left as text, which no schema takes (a bad-response), as docker-modem leaves it.
    }
    if (answer.status >= 200 && answer.status < 300) return value;
    const message = typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string' ? (value as { message: string }).message : answer.body.trim();
    throw Object.assign(new Error(`(HTTP code ${answer.status}) ${answer.statusText} - ${message}`), { statusCode: answer.status, json: value });
  };
  return {
    ping: async () => {
      const answer = await get('/_ping');
      if (answer.status !== 200) {
        throw Object.assign(new Error(`(HTTP code ${answer.status}) ${answer.statusText} - ${answer.body.trim()}`), { statusCode: answer.status, json: answer.body });
      }
      return pingAnswer(answer.body, (name) => headerOf(answer.res, name));
    },
    version: () => json('/version'),
    info: () => json('/info'),
    listImages: (all) => json(all ? '/images/json?all=true' : '/images/json'),
    inspectImage: (idOrRef) => json(`/images/${idOrRef}/json`),
    imageHistory: (idOrRef) => json(`/images/${idOrRef}/history`),
  };
}
