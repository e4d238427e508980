/** The engine itself: what it says about itself (its /_ping is in engine-reads.ts). */
import { type EngineReadCall, parseEngineAnswer } from './engine-call.js';
import type { EngineInfo } from './engine-client.js';
import { InfoResponse, usesContainerdSnapshotter, VersionResponse } from './engine-schemas.js';

export async function readEngineInfo(call: EngineReadCall): Promise<EngineInfo> {
  const [version, info] = await Promise.all([call.reads.version(), call.reads.info()]);
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
