/**
 * `basewatch check` at a developer's scale next to what users run instead, on the same engine
 * and registry, in interleaved rounds (project issue 14): a `docker pull` loop over the bases,
 * a `skopeo inspect` loop (when skopeo is installed; `apt-get install skopeo`) and
 * `podman auto-update --dry-run` (./podman-peer.ts). Each tool's wall time, registry requests
 * (HEAD/GET, counted by a proxy every tool reaches the registry through, each request given to
 * the process that sent it: ./counting-proxy.ts) and peak RSS (of the tool's own process:
 * dockerd's work is not in `docker pull`'s), and basewatch's ratio to the fastest peer in the
 * same round. Then `status` with and without a daemon, as a ratio to a bare `node -e 0`
 * measured in the same rounds.
 *
 *   BENCH_SCALES=20x5,500x50   images x bases (default both)
 *   BENCH_ROUNDS=3             rounds per tool (the median is printed)
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { askDaemon } from '../src/daemon/control-client.js';
import { setSetting } from '../src/config/config-store.js';
import { type CountingProxy, startCountingProxy } from './counting-proxy.js';
import { type PodmanPeer, startPodmanPeer } from './podman-peer.js';
import { type ScaleImages, makeScaleImages } from './scale-images.js';
import { docker, getWorld, makeBaseImage, makeTempDir, pushImage, repoRoot } from '../test/helpers/world.js';

interface Run {
  ms: number;
  rssMb: number;
  ok: boolean;
  code: number | null;
  /** The end of its output, when it failed. */
  tail: string;
  /** The end of its standard output. */
  stdout: string;
  head: number;
  get: number;
  /** Time the proxy held its answers back to trace its connections (see counting-proxy.ts). */
  tracedMs: number;
  /** Requests other processes sent to the proxy meanwhile (not counted above), by sender. */
  foreign: Map<string, number>;
}

/**
 * One command under GNU time: wall time, its peak RSS, and the registry requests it (or one of
 * the `via` processes, e.g. dockerd for `docker pull`) sent.
 */
async function measure(command: string, args: readonly string[], env: NodeJS.ProcessEnv, proxy: CountingProxy | null, via: readonly number[] = []): Promise<Run> {
  const started = performance.now();
  const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
    const child = spawn('/usr/bin/time', ['-f', 'maxrss %M', command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) proxy?.begin(child.pid, via);
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-4000)));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
  const ms = performance.now() - started;
  const requests = (await proxy?.end()) ?? { own: { head: 0, get: 0, other: 0 }, tracedMs: 0, foreign: new Map<string, number>() };
  const rss = Number(/maxrss (\d+)/.exec(result.stderr)?.[1] ?? 0) / 1024;
  const ok = result.code === 0;
  const tail = ok ? '' : `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '').slice(-12).join('\n');
  return { ms, rssMb: rss, ok, code: result.code, tail, stdout: result.stdout, head: requests.own.head, get: requests.own.get, tracedMs: requests.tracedMs, foreign: requests.foreign };
}

/** The Docker engines' daemons on this machine: `docker pull` has dockerd send its requests. */
async function dockerdPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if ((await fs.readFile(`/proc/${name}/comm`, 'utf8').catch(() => '')).trim() === 'dockerd') pids.push(Number(name));
  }
  return pids;
}

/** A loop of commands in one shell, measured as one: what a user's script does. */
function loop(commands: readonly string[]): [string, string[]] {
  return ['/bin/sh', ['-c', commands.join(' && ')]];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function describe(name: string, runs: readonly Run[]): { name: string; ms: number; netMs: number; line: string } {
  const ms = median(runs.map((r) => r.ms));
  // Each connection's trace blocks the proxy (~20 ms a read of /proc/net/tcp on a busy machine),
  // and a tool that opens many connections pays more of it: its time without, estimated.
  const netMs = median(runs.map((r) => r.ms - r.tracedMs));
  const failed = runs.filter((r) => !r.ok).length;
  const last = runs[runs.length - 1];
  return {
    name,
    ms,
    netMs,
    line:
      `  ${name.padEnd(32)} ${(ms / 1000).toFixed(2).padStart(6)} s  HEAD ${String(last?.head ?? 0).padStart(4)} GET ${String(last?.get ?? 0).padStart(4)}  peak RSS ${(median(runs.map((r) => r.rssMb))).toFixed(0).padStart(4)} MB  traced ${median(runs.map((r) => r.tracedMs)).toFixed(0).padStart(4)} ms, without ${(netMs / 1000).toFixed(2).padStart(6)} s` +
      (failed > 0 ? `  (exit ${runs.map((r) => r.code).join(',')}; last output:\n${runs.find((r) => !r.ok)?.tail.replace(/^/gm, '      ')})` : ''),
  };
}

async function checkRounds(label: string, scale: ScaleImages, proxy: CountingProxy, podman: PodmanPeer | string, rounds: number): Promise<string[]> {
  const world = getWorld()!;
  const bin = path.join(repoRoot, 'bin', 'basewatch.js');
  const baseEnv = { ...process.env, DOCKER_HOST: world.dockerHost, NO_COLOR: '1', DOCKER_CONFIG: path.join(world.dir, 'docker-config') };
  const skopeo = spawnSync('sh', ['-c', 'command -v skopeo']).status === 0;
  const runs = new Map<string, Run[]>();
  // The bench's own images by name: the shared engine also holds other runs' leftovers, whose
  // registries are gone; naming them keeps the same work as the peers' (the bases under them).
  const named = scale.imageTags;
  const add = (name: string, run: Run): void => void runs.set(name, [...(runs.get(name) ?? []), run]);
  const warmHome = await makeTempDir('scale-warm');
  // The warm home has seen one check before the rounds.
  await measure(process.execPath, [bin, 'check', '--root', scale.project, ...named], { ...baseEnv, BASEWATCH_HOME: warmHome }, proxy);
  for (let round = 0; round < rounds; round++) {
    const coldHome = await makeTempDir('scale-cold');
    add('basewatch check (cold)', await measure(process.execPath, [bin, 'check', '--root', scale.project, ...named], { ...baseEnv, BASEWATCH_HOME: coldHome }, proxy));
    add('basewatch check (warm)', await measure(process.execPath, [bin, 'check', '--root', scale.project, ...named], { ...baseEnv, BASEWATCH_HOME: warmHome }, proxy));
    const offlineHome = await makeTempDir('scale-offline');
    add('basewatch check --offline (cold)', await measure(process.execPath, [bin, 'check', '--offline', '--root', scale.project, ...named], { ...baseEnv, BASEWATCH_HOME: offlineHome }, proxy));
    add('basewatch check --offline (warm)', await measure(process.execPath, [bin, 'check', '--offline', '--root', scale.project, ...named], { ...baseEnv, BASEWATCH_HOME: warmHome }, proxy));
    const [sh, pullArgs] = loop(scale.baseRefs.map((ref) => `docker pull -q ${ref} >/dev/null`));
    add('docker pull loop', await measure(sh, pullArgs, baseEnv, proxy, await dockerdPids()));
    if (skopeo) {
      const [sh2, skopeoArgs] = loop(scale.baseRefs.map((ref) => `skopeo inspect --tls-verify=false --no-tags docker://${ref} >/dev/null`));
      add('skopeo inspect loop', await measure(sh2, skopeoArgs, baseEnv, proxy));
    }
    if (typeof podman !== 'string') add('podman auto-update --dry-run', await measure(podman.command[0], podman.command[1], baseEnv, proxy));
  }
  const load = os.loadavg().map((n) => n.toFixed(1)).join(' ');
  const lines = [`check, ${label} (median of ${rounds} interleaved rounds; requests of the last round; load average ${load} at the end, ${os.cpus().length} cores):`];
  const described = [...runs].map(([name, list]) => describe(name, list));
  lines.push(...described.map((d) => d.line));
  const peers = described.filter((d) => !d.name.startsWith('basewatch'));
  const fastest = peers.reduce<(typeof described)[number] | null>((best, d) => (best === null || d.ms < best.ms ? d : best), null);
  const fastestNet = peers.reduce<(typeof described)[number] | null>((best, d) => (best === null || d.netMs < best.netMs ? d : best), null);
  if (fastest !== null && fastestNet !== null) {
    for (const d of described.filter((x) => x.name.startsWith('basewatch check ('))) {
      lines.push(
        `  ${d.name} / fastest peer (${fastest.name}): ${(d.ms / fastest.ms).toFixed(2)}x; without tracing (${fastestNet.name}): ${(d.netMs / fastestNet.netMs).toFixed(2)}x`,
      );
    }
  }
  if (!skopeo) lines.push('  skopeo: not installed (apt-get install skopeo), not measured');
  if (typeof podman === 'string') lines.push(`  podman auto-update --dry-run: ${podman}`);
  else {
    // What it found, to show it did the same work: the moved bases' containers are "pending".
    const last = runs.get('podman auto-update --dry-run')?.at(-1)?.stdout ?? '';
    const units = last.split('\n').filter((line) => line.includes('scale-podman-'));
    lines.push(`  podman auto-update --dry-run found ${units.filter((line) => line.endsWith(' pending')).length} of ${units.length} containers' images pending`);
  }
  const foreign = new Map<string, number>();
  for (const run of [...runs.values()].flat()) for (const [who, n] of run.foreign) foreign.set(who, (foreign.get(who) ?? 0) + n);
  lines.push(
    foreign.size === 0
      ? '  requests from other processes during the runs: none'
      : `  requests from other processes during the runs, not counted above: ${[...foreign]
          .sort((a, b) => b[1] - a[1])
          .map(([who, n]) => `${n} ${who}`)
          .join('; ')}`,
  );
  return lines;
}

async function statusRounds(project: string, rounds: number): Promise<string[]> {
  const world = getWorld()!;
  const bin = path.join(repoRoot, 'bin', 'basewatch.js');
  const home = await makeTempDir('scale-status');
  const env = { ...process.env, BASEWATCH_HOME: home, DOCKER_HOST: world.dockerHost, NO_COLOR: '1', DOCKER_CONFIG: path.join(world.dir, 'docker-config') };
  const noProxy = null;
  await measure(process.execPath, [bin, 'check', '--root', project], env, noProxy);
  const times = { node: [] as number[], status: [] as number[], daemon: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    times.node.push((await measure(process.execPath, ['-e', '0'], env, noProxy)).ms);
    times.status.push((await measure(process.execPath, [bin, 'status'], env, noProxy)).ms);
  }
  setSetting(path.join(home, 'config'), 'roots', JSON.stringify([project]));
  setSetting(path.join(home, 'config'), 'schedule', '0 0 1 1 *');
  setSetting(path.join(home, 'config'), 'notifications', 'false');
  const daemon = spawn(process.execPath, [bin, 'daemon'], { env, stdio: 'ignore' });
  try {
    const runtime = { runtime: path.join(home, 'run') };
    const deadline = Date.now() + 300_000;
    for (;;) {
      const status = await askDaemon(runtime, { kind: 'status' }).catch(() => null);
      if (status !== null && status.cycles.completed >= 1 && status.cycles.running === null) break;
      if (Date.now() > deadline) throw new Error('the daemon did not finish its startup cycle within 5 minutes');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (let i = 0; i < rounds; i++) {
      times.node.push((await measure(process.execPath, ['-e', '0'], env, noProxy)).ms);
      times.daemon.push((await measure(process.execPath, [bin, 'status'], env, noProxy)).ms);
    }
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((resolve) => daemon.once('exit', resolve));
  }
  const node = median(times.node);
  return [
    `status latency (median of ${rounds}; node -e 0 ${node.toFixed(0)} ms in the same rounds):`,
    `  status, no daemon   ${median(times.status).toFixed(0).padStart(5)} ms  ${(median(times.status) / node).toFixed(2)}x node -e 0`,
    `  status, daemon up   ${median(times.daemon).toFixed(0).padStart(5)} ms  ${(median(times.daemon) / node).toFixed(2)}x node -e 0`,
  ];
}

export async function runCheckScaleBench(): Promise<string[]> {
  const world = getWorld();
  if (world === null) return ['check scale: skipped (needs the test world)'];
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const scales = (process.env.BENCH_SCALES ?? '20x5,500x50').split(',').map((text) => text.split('x').map(Number) as [number, number]);
  const proxy = await startCountingProxy(world.registry);
  // Each block as soon as it is measured: a 500-image scale takes a while.
  const say = (lines: readonly string[] | string): void => console.log(typeof lines === 'string' ? lines : lines.join('\n'));
  try {
    for (const [images, bases] of scales) {
      const started = Date.now();
      const scale = await makeScaleImages(images, bases, proxy.host);
      const engineImages = (await docker(['images', '-q'])).split('\n').filter((line) => line.trim() !== '').length;
      say(`(${images} images on ${bases} bases made in ${((Date.now() - started) / 1000).toFixed(0)} s; the engine holds ${engineImages} images)`);
      const podman = await startPodmanPeer(scale.baseRefs, proxy.host, world.runId);
      try {
        say(await checkRounds(`${images} images / ${bases} bases, nothing changed`, scale, proxy, podman, rounds));
        // 10% of the bases move upstream: same tag, new digest.
        const moved = scale.baseRefs.filter((_, i) => i % 10 === 0);
        for (const ref of moved) {
          const oldId = (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
          await makeBaseImage({ ref, files: { '/etc/patch-level': `${Date.now()}\n` } });
          await pushImage(ref);
          // The machine still has the old copy under the tag, as before upstream moved (Podman too).
          await docker(['tag', oldId, ref]);
        }
        say(await checkRounds(`${images} images / ${bases} bases, ${moved.length} bases moved upstream`, scale, proxy, podman, rounds));
      } finally {
        if (typeof podman !== 'string') await podman.stop();
      }
      if (images === scales[0]?.[0]) say(await statusRounds(scale.project, Math.max(rounds, 10)));
    }
  } finally {
    await proxy.close();
  }
  return [];
}
