// Which image store the world's engine runs: the containerd store names an image by its
// manifest (or index) digest, takes no placeholder layers and saves gzip'ed blobs; the classic
// store (Engine 20.10, Engine 28 with overlay2) and Podman name it by its config digest.
import { docker } from './docker.js';

let cached: Promise<boolean> | null = null;

/** True when `docker info` shows DriverStatus driver-type io.containerd.snapshotter.v1. */
export function usesContainerdStore(): Promise<boolean> {
  cached ??= docker(['info', '--format', '{{json .DriverStatus}}']).then((out) => {
    const status = JSON.parse(out.trim() || 'null') as string[][] | null;
    return (status ?? []).some(([key, value]) => key === 'driver-type' && value === 'io.containerd.snapshotter.v1');
  });
  return cached;
}
