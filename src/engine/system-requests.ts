/** The engine itself: /_ping (with the headers that settle the API version) and what it says about itself. */
import type { IncomingMessage } from 'node:http';
import { type Dockerode, modemOf } from './dockerode-handle.js';
import { type EngineCall, parseEngineAnswer } from './engine-call.js';
import type { EngineInfo, EnginePing } from './engine-client.js';
import { InfoResponse, usesContainerdSnapshotter, VersionResponse } from './engine-schemas.js';

/** GET /_ping through the modem's transport (unix, tcp, tls, ssh, npipe) keeping the headers. */
export function rawPing(docker: Dockerode): Promise<EnginePing> {
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

export async function readEngineInfo(call: EngineCall): Promise<EngineInfo> {
  const [version, info] = await Promise.all([call.docker.version(), call.docker.info()]);
  const v = parseEngineAnswer(call, VersionResponse, version);
  const i = parseEngineAnswer(call, InfoResponse, info);
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
}
