/**
 * `basewatch check` at a developer's scale next to what users run instead, on the same engine
 * and registry, in interleaved rounds (project issue 14): a `docker pull` loop over the bases
 * and a `skopeo inspect` loop (when skopeo is installed; `apt-get install skopeo`). Each tool's
 * wall time, registry requests (HEAD/GET, counted by a proxy every tool reaches the registry
 * through) and peak RSS (of the tool's own process: dockerd's work is not in `docker pull`'s),
 * and basewatch's ratio to the fastest peer in the same round. Then `status` with and without
 * a daemon, as a ratio to a bare `node -e 0` measured in the same rounds.
 *
 *   BENCH_SCALES=20x5,500x50   images x bases (default both)
 *   BENCH_ROUNDS=3             rounds per tool (the median is printed)
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { askDaemon } from '../src/daemon/control-client.js';
import { setSetting } from '../src/config/config-store.js';
import { mapLimit } from '../src/util/map-limit.js';
import { buildImage, docker, getWorld, makeBaseImage, makeTempDir, pushImage, repoRoot, uniqueName } from '../test/helpers/world.js';

interface Counts {
  head: number;
  get: number;
  other: number;
}

/** A plain HTTP proxy in front of the registry that counts what each tool asks. */
async function countingProxy(registry: string): Promise<{ host: string; counts: Counts; reset(): void; close(): Promise<void> }> {
  const [targetHost, targetPort] = registry.split(':');
  const counts: Counts = { head: 0, get: 0, other: 0 };
  const server = http.createServer((req, res) => {
    if (req.method === 'HEAD') counts.head += 1;
    else if (req.method === 'GET') counts.get += 1;
    else counts.other += 1;
    const upstream = http.request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    counts,
    reset() {
      counts.head = 0;
      counts.get = 0;
      counts.other = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Run {
  ms: number;
  rssMb: number;
  ok: boolean;
  code: number | null;
  /** The end of its output, when it failed. */
  tail: string;
  head: number;
  get: number;
}

/** One command under GNU time: wall time, its peak RSS, and the registry requests it caused. */
async function measure(command: string, args: readonly string[], env: NodeJS.ProcessEnv, proxy: { counts: Counts; reset(): void }, cwd?: string): Promise<Run> {
  proxy.reset();
  const started = performance.now();
  const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
    const child = spawn('/usr/bin/time', ['-f', 'maxrss %M', command, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-4000)));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
  const ms = performance.now() - started;
  const rss = Number(/maxrss (\d+)/.exec(result.stderr)?.[1] ?? 0) / 1024;
  const ok = result.code === 0;
  const tail = ok ? '' : `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() !== '').slice(-12).join('\n');
  return { ms, rssMb: rss, ok, code: result.code, tail, head: proxy.counts.head, get: proxy.counts.get };
}

/** A loop of commands in one shell, measured as one: what a user's script does. */
function loop(commands: readonly string[]): [string, string[]] {
  return ['/bin/sh', ['-c', commands.join(' && ')]];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function describe(name: string, runs: readonly Run[]): { name: string; ms: number; line: string } {
  const ms = median(runs.map((r) => r.ms));
  const failed = runs.filter((r) => !r.ok).length;
  const last = runs[runs.length - 1];
  return {
    name,
    ms,
    line:
      `  ${name.padEnd(32)} ${(ms / 1000).toFixed(2).padStart(6)} s  HEAD ${String(last?.head ?? 0).padStart(4)} GET ${String(last?.get ?? 0).padStart(4)}  peak RSS ${(median(runs.map((r) => r.rssMb))).toFixed(0).padStart(4)} MB` +
      (failed > 0 ? `  (exit ${runs.map((r) => r.code).join(',')}; last output:\n${runs.find((r) => !r.ok)?.tail.replace(/^/gm, '      ')})` : ''),
  };
}

async function makeScale(images: number, bases: number, registryHost: string): Promise<{ baseRefs: string[]; project: string; imageTags: string[] }> {
  const baseRefs: string[] = [];
  for (let b = 0; b < bases; b++) {
    const ref = `${registryHost}/${uniqueName(`scale-base-${b}`)}:1`;
    await makeBaseImage({ ref });
    await pushImage(ref);
    baseRefs.push(ref);
  }
  // One Dockerfile per base, as a project would have; each image adds a label (a new image
  // ID, no new layer: the quickest build there is) on one of the bases.
  const project = await makeTempDir('scale-project');
  for (const [b, ref] of baseRefs.entries()) {
    await fs.mkdir(path.join(project, `svc-${b}`), { recursive: true });
    await fs.writeFile(path.join(project, `svc-${b}`, 'Dockerfile'), `FROM ${ref}\nARG N=0\nLABEL bench.n=$N\n`);
  }
  const imageTags = Array.from({ length: images }, (_, i) => `${uniqueName(`scale-app-${i}`)}:dev`);
  await mapLimit(imageTags, 2, async (tag, i) => {
    const build = (): Promise<string> => buildImage({ context: path.join(project, `svc-${i % bases}`), tag, buildArgs: { N: String(i) } });
    // A loaded machine's engine now and then loses a build ("signal: killed"): once more.
    await build().catch(build);
  });
  return { baseRefs, project, imageTags };
}

async function checkRounds(label: string, scale: { baseRefs: string[]; project: string; imageTags: string[] }, proxy: Awaited<ReturnType<typeof countingProxy>>, rounds: number): Promise<string[]> {
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
    add('docker pull loop', await measure(sh, pullArgs, baseEnv, proxy));
    if (skopeo) {
      const [sh2, skopeoArgs] = loop(scale.baseRefs.map((ref) => `skopeo inspect --tls-verify=false --no-tags docker://${ref} >/dev/null`));
      add('skopeo inspect loop', await measure(sh2, skopeoArgs, baseEnv, proxy));
    }
  }
  const lines = [`check, ${label} (median of ${rounds} interleaved rounds; requests of the last round):`];
  const described = [...runs].map(([name, list]) => describe(name, list));
  lines.push(...described.map((d) => d.line));
  const peers = described.filter((d) => !d.name.startsWith('basewatch'));
  const fastest = peers.reduce<(typeof described)[number] | null>((best, d) => (best === null || d.ms < best.ms ? d : best), null);
  if (fastest !== null) {
    for (const d of described.filter((x) => x.name.startsWith('basewatch check ('))) {
      lines.push(`  ${d.name} / fastest peer (${fastest.name}): ${(d.ms / fastest.ms).toFixed(2)}x`);
    }
  }
  if (!skopeo) lines.push('  skopeo: not installed (apt-get install skopeo), not measured');
  lines.push('  podman auto-update --dry-run: not measured (needs containers run by podman with the autoupdate label; not set up here)');
  return lines;
}

async function statusRounds(project: string, rounds: number): Promise<string[]> {
  const world = getWorld()!;
  const bin = path.join(repoRoot, 'bin', 'basewatch.js');
  const home = await makeTempDir('scale-status');
  const env = { ...process.env, BASEWATCH_HOME: home, DOCKER_HOST: world.dockerHost, NO_COLOR: '1', DOCKER_CONFIG: path.join(world.dir, 'docker-config') };
  const noProxy = { counts: { head: 0, get: 0, other: 0 }, reset() {} };
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
  const proxy = await countingProxy(world.registry);
  const lines: string[] = [];
  try {
    for (const [images, bases] of scales) {
      const started = Date.now();
      const scale = await makeScale(images, bases, proxy.host);
      const engineImages = (await docker(['images', '-q'])).split('\n').filter((line) => line.trim() !== '').length;
      lines.push(`(${images} images on ${bases} bases made in ${((Date.now() - started) / 1000).toFixed(0)} s; the engine holds ${engineImages} images)`);
      lines.push(...(await checkRounds(`${images} images / ${bases} bases, nothing changed`, scale, proxy, rounds)));
      // 10% of the bases move upstream: same tag, new digest.
      const moved = scale.baseRefs.filter((_, i) => i % 10 === 0);
      for (const ref of moved) {
        const oldId = (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
        await makeBaseImage({ ref, files: { '/etc/patch-level': `${Date.now()}\n` } });
        await pushImage(ref);
        // The machine still has the old copy under the tag, as before upstream moved.
        await docker(['tag', oldId, ref]);
      }
      lines.push(...(await checkRounds(`${images} images / ${bases} bases, ${moved.length} bases moved upstream`, scale, proxy, rounds)));
      if (images === scales[0]?.[0]) lines.push(...(await statusRounds(scale.project, Math.max(rounds, 10))));
      console.log(lines.join('\n'));
      lines.length = 0;
    }
  } finally {
    await proxy.close();
  }
  return lines;
}
