// Runs Debian's docker-registry (distribution 2.8) on a free loopback port, with its own
// config: the packaged /etc/docker/registry/config.yml turns on htpasswd auth.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { findExecutable, sleep, stopProcess } from './process.js';
import { seconds } from './packages.js';

const READY_TIMEOUT_MS = 15_000;
const ATTEMPTS = 3;

export interface StartedRegistry {
  /** host:port */
  address: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startRegistry(options: {
  dir: string;
  log: (line: string) => void;
  /** Called with a stop() for each spawned registry process, so an interrupted start can be undone. */
  onSpawn?: (stop: () => Promise<void>) => void;
}): Promise<StartedRegistry> {
  const binary = findExecutable('docker-registry');
  if (!binary) throw new Error('docker-registry not found on PATH');
  const root = join(options.dir, 'registry');
  await mkdir(join(root, 'data'), { recursive: true });
  const logFile = join(options.dir, 'registry.log');
  let lastError = '';
  // The free port can be taken between probing and binding; then the registry exits and we retry.
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const started = Date.now();
    const port = await freeLoopbackPort();
    const address = `127.0.0.1:${port}`;
    const config = join(root, 'config.yml');
    await writeFile(config, registryConfig(join(root, 'data'), address));
    const fd = openSync(logFile, 'a');
    const child = spawn(binary, ['serve', config], { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    let stopped: Promise<void> | null = null;
    const stop = () => {
      stopped ??= stopProcess(child, 5_000).then((how) => {
        if (how !== 'exited') options.log(`registry: stopped ${address}`);
      });
      return stopped;
    };
    options.onSpawn?.(stop);
    const ready = await waitForRegistry(child, address);
    if (ready === true) {
      options.log(`registry: ${address} (pid ${child.pid}) in ${seconds(started)}`);
      return { address, pid: child.pid ?? -1, stop };
    }
    await stop();
    lastError = ready;
  }
  throw new Error(`registry did not come up after ${ATTEMPTS} attempts: ${lastError}\n${readLog(logFile)}`);
}

export function registryConfig(dataDir: string, address: string): string {
  return [
    'version: 0.1',
    // info: the access log lets tests count what was downloaded (e.g. a base pulled once).
    'log: { level: info }',
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(dataDir)} }, delete: { enabled: true } }`,
    `http: { addr: ${JSON.stringify(address)} }`,
    '',
  ].join('\n');
}

/** Resolves true once GET /v2/ answers 200, or a reason string. */
async function waitForRegistry(child: ChildProcess, address: string): Promise<true | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      return `docker-registry exited (${child.signalCode ?? `exit ${child.exitCode}`})`;
    }
    try {
      const response = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return `GET http://${address}/v2/ did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '';
  }
}
