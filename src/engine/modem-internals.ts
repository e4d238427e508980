/**
 * The docker-modem fields we set after construction (@types/docker-modem does not list them),
 * apart from dockerode-handle.ts so that reaching them does not load dockerode.
 */
import type { IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Dockerode } from './dockerode-handle.js';

export interface ModemInternals {
  version?: string;
  timeout?: number;
  agent?: HttpsAgent;
  dial(options: object, callback: (error: unknown, res: IncomingMessage | null) => void): void;
}

export function modemOf(docker: Dockerode): ModemInternals {
  return docker.modem as unknown as ModemInternals;
}
