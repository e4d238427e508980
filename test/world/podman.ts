// The second engine of the test world: Podman's Docker-compatible API (`podman system service`),
// with the test registry listed as insecure so it can pull from it over plain HTTP.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { findExecutable, run, sleep, stopProcess } from './process.js';
import { seconds } from './packages.js';

export const REGISTRIES_CONF_DIR = '/etc/containers/registries.conf.d';

export interface StartedPodman {
  /** unix://… of the service socket. */
  host: string;
  stop(): Promise<void>;
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => {
      request.destroy();
      resolve(false);
    });
  });
}

/**
 * Lists a plain-HTTP registry (host:port) as insecure for Podman and its tools (skopeo, buildah),
 * under a name of this run's; returns what takes it away again. A `podman` command reads it when
 * it starts; a running `podman system service` only the one it started with.
 */
export async function trustInsecureRegistry(registry: string, runId: string): Promise<() => Promise<void>> {
  await mkdir(REGISTRIES_CONF_DIR, { recursive: true });
  const conf = join(REGISTRIES_CONF_DIR, `zz-basewatch-test-${runId}-${registry.replace(/[^A-Za-z0-9.-]/g, '_')}.conf`);
  await writeFile(conf, `[[registry]]\nlocation = "${registry}"\ninsecure = true\n`);
  return () => rm(conf, { force: true });
}

export async function startPodman(options: {
  dir: string;
  registry: string;
  runId: string;
  log: (line: string) => void;
  onSpawn: (stop: () => Promise<void>) => void;
}): Promise<StartedPodman> {
  const podman = findExecutable('podman');
  if (!podman) throw new Error('podman not found on PATH');
  const started = Date.now();
  // The service reads registries.conf when it starts: write ours first.
  const untrust = await trustInsecureRegistry(options.registry, options.runId);
  const socketPath = join(options.dir, 'podman.sock');
  const logFile = join(options.dir, 'podman.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(podman, ['system', 'service', '--time=0', `unix://${socketPath}`], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // This run's images only: fixtures carry the run label (see env.ts).
      await run(podman, ['image', 'rm', '--force', '--filter', `label=basewatch.test.run=${options.runId}`]).catch(() => undefined);
      await stopProcess(child, 5_000);
      await untrust();
      options.log('podman: stopped');
    })();
    return stopped;
  };
  options.onSpawn(stop);
  for (let waited = 0; waited < 30_000; waited += 200) {
    if (await ping(socketPath)) {
      options.log(`podman: unix://${socketPath} (pid ${child.pid}) in ${seconds(started)}`);
      return { host: `unix://${socketPath}`, stop };
    }
    if (child.exitCode !== null) break;
    await sleep(200);
  }
  await stop();
  throw new Error(`podman system service did not answer on ${socketPath} (log ${logFile})`);
}
