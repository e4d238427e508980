/**
 * `podman auto-update --dry-run` as a peer of `basewatch check`: the Podman way of asking the
 * registry whether the images one runs have moved. It only looks at running containers created
 * from a fully qualified image with the label `io.containers.autoupdate=registry` (and the
 * systemd unit label a `podman generate systemd` unit would carry), so the bench pulls each base
 * into Podman's store and runs one container on it: the same work as the `docker pull` and
 * `skopeo inspect` loops (one question per base), through the same counting proxy.
 *
 * Two things this machine needs that a developer's does not, both confined to the bench:
 * - runc here may not raise resource limits (no CAP_SYS_RESOURCE), and Podman asks for
 *   nofile/nproc limits above ours by default: the containers get low ones;
 * - PID 1 is not systemd, and Podman 4.3 dials systemd's private socket before a dry run too:
 *   the command runs in a mount namespace where a stand-in answers on that socket
 *   (./systemd-stand-in-main.ts). The namespace is made before the rounds; entering it
 *   (`nsenter`, an exec) is part of what is measured.
 * `podman auto-update` has no filter: it checks every labelled container on the machine, so two
 * of these benches at once each check the other's containers too (the "found N of M" line shows it).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mapLimit } from '../src/util/map-limit.js';
import { uniqueName } from '../test/helpers/world.js';
import { RUN_LABEL, TEST_LABEL } from '../test/world/env.js';
import { trustInsecureRegistry } from '../test/world/podman.js';
import { findExecutable, run, runChecked, stopProcess } from '../test/world/process.js';

export interface PodmanPeer {
  /** The command to measure. */
  command: readonly [string, string[]];
  /** Removes the containers and images, the namespace and the registry entry. */
  stop(): Promise<void>;
}

const STAND_IN = fileURLToPath(new URL('./systemd-stand-in-main.js', import.meta.url));

/** The peer, ready to measure; or why it cannot be measured here. */
export async function startPodmanPeer(baseRefs: readonly string[], registryHost: string, runId: string): Promise<PodmanPeer | string> {
  const missing = ['podman', 'unshare', 'nsenter'].filter((name) => findExecutable(name) === null);
  if (missing.length > 0) return `not measured: ${missing.join(', ')} not on PATH (apt-get install podman util-linux)`;
  if (process.getuid?.() !== 0) return 'not measured: the bench sets it up as root only (as the test world does Podman)';
  const undo: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
  };
  try {
    undo.push(await trustInsecureRegistry(registryHost, runId));
    const names: string[] = [];
    // A few at a time: one `podman rm` of 50 containers on a loaded machine outlived its timeout
    // and left most of them running.
    const inBatches = (items: readonly string[], args: readonly string[]): Promise<unknown> =>
      mapLimit(batches(items, 5), 2, (batch) => run('podman', [...args, ...batch], { timeoutMs: 120_000 }).catch(() => undefined));
    undo.push(() => inBatches(names, ['rm', '--force', '--time', '0']));
    undo.push(() => inBatches(baseRefs, ['image', 'rm', '--force']));
    await mapLimit(baseRefs, 2, async (ref) => {
      const name = uniqueName('scale-podman');
      await runChecked('podman', ['pull', '-q', ref], { timeoutMs: 300_000 });
      names.push(name);
      await runChecked(
        'podman',
        [
          'run', '--detach', '--name', name, '--network', 'none',
          '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
          '--label', 'io.containers.autoupdate=registry', '--label', `PODMAN_SYSTEMD_UNIT=${name}.service`,
          '--label', `${TEST_LABEL}=1`, '--label', `${RUN_LABEL}=${runId}`,
          ref, '/bin/busybox', 'sleep', '86400',
        ],
        { timeoutMs: 120_000 },
      );
    });
    const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs /run/systemd && exec "$0" "$1" /run/systemd/private`, process.execPath, STAND_IN], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    undo.push(() => stopProcess(holder, 2_000));
    await new Promise<void>((resolve, reject) => {
      let said = '';
      holder.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      holder.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
      holder.on('exit', (code) => reject(new Error(`the systemd stand-in exited (${code}): ${said.trim()}`)));
      setTimeout(() => reject(new Error('the systemd stand-in did not start in 30 s')), 30_000).unref();
    });
    const command = ['nsenter', ['-t', String(holder.pid), '-m', 'podman', 'auto-update', '--dry-run', '--format', '{{.Unit}} {{.Updated}}']] as const;
    // Once, to know it sees every container (a dry run that sees none exits 0 too).
    const seen = await runChecked(command[0], command[1], { timeoutMs: 300_000 });
    const units = seen.split('\n').filter((line) => line.includes('scale-podman-')).length;
    if (units !== baseRefs.length) throw new Error(`podman auto-update --dry-run saw ${units} of ${baseRefs.length} containers:\n${seen.trim()}`);
    return { command: [command[0], [...command[1]]], stop };
  } catch (error) {
    await stop();
    return `not measured: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function batches<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
