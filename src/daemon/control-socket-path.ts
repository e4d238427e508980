/** Where the daemon's control socket lives: apart from the protocol's schemas, so `status` can look without loading them. */
import path from 'node:path';
import type { BasewatchPaths } from '../config/paths.js';

export const CONTROL_SOCKET_NAME = 'daemon.sock';

export function controlSocketPath(paths: Pick<BasewatchPaths, 'runtime'>): string {
  return path.join(paths.runtime, CONTROL_SOCKET_NAME);
}
