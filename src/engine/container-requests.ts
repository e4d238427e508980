/**
 * Containers through dockerode: run one to completion, read files out of an image through a
 * created one, list and remove them. Containers basewatch creates carry `basewatch.temporary`.
 */
import { type EngineCall, notFoundAsNull } from './engine-call.js';
import type { ContainerRun, ContainerSummary } from './engine-client.js';
import { readTarFiles } from './tar-files.js';

const TEMPORARY_LABELS = { 'basewatch.temporary': '1' };

export async function runContainer(call: EngineCall, image: string, options: { cmd?: string[]; entrypoint?: string[] }): Promise<ContainerRun> {
  const container = await call.docker.createContainer({
    Image: image,
    ...(options.cmd ? { Cmd: options.cmd } : {}),
    ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
    Labels: { ...TEMPORARY_LABELS },
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
}

export async function readImageFiles(call: EngineCall, image: string, paths: readonly string[]): Promise<Map<string, Buffer>> {
  // A created container is never started: its filesystem is the image's, read through the API.
  const container = await call.docker.createContainer({ Image: image, Cmd: ['/nonexistent'], Labels: { ...TEMPORARY_LABELS } });
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
}

export async function listContainers(call: EngineCall, options: { ancestor?: string; label?: string; all?: boolean }): Promise<ContainerSummary[]> {
  const filters = {
    ...(options.ancestor ? { ancestor: [options.ancestor] } : {}),
    ...(options.label ? { label: [options.label] } : {}),
  };
  const list = (await call.docker.listContainers({
    all: options.all ?? true,
    ...(Object.keys(filters).length > 0 ? { filters: JSON.stringify(filters) } : {}),
  })) as Array<{ Id: string; Names?: string[]; Image: string; ImageID: string; State: string }>;
  return list.map((c) => ({ id: c.Id, names: c.Names ?? [], image: c.Image, imageId: c.ImageID, state: c.State }));
}

export async function removeContainer(call: EngineCall, id: string): Promise<boolean> {
  return (await notFoundAsNull(call.docker.getContainer(id).remove({ force: true }))) !== null;
}

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
