/**
 * An idle daemon watching a tree of 20,000 files: resident memory and CPU over a minute, next to
 * a bare idle node process measured over the same minute (the baseline).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setSetting } from '../src/config/config-store.js';
import { askDaemon } from '../src/daemon/control-client.js';
import { getWorld, makeTempDir, repoRoot } from '../test/helpers/world.js';

const FILES = 20_000;
const MEASURE_MS = 60_000;
const CLOCK_TICKS = 100;

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident memory now (VmRSS), or at its highest so far (VmHWM), in MB. */
function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

async function makeTree(root: string): Promise<void> {
  for (let dir = 0; dir < FILES / 100; dir++) {
    const folder = path.join(root, `pkg-${dir}`, 'src');
    await fs.mkdir(folder, { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => fs.writeFile(path.join(folder, `f${i}.txt`), `${dir}/${i}\n`)));
    if (dir % 40 === 0) await fs.writeFile(path.join(root, `pkg-${dir}`, 'Dockerfile'), 'FROM scratch\nCOPY src /src\n');
  }
}

export async function runDaemonIdleBench(): Promise<string> {
  const world = getWorld();
  if (world === null || process.platform !== 'linux') return 'daemon idle: skipped (needs the test world on Linux)';
  const tree = await makeTempDir('bench-tree');
  await makeTree(tree);
  const home = await makeTempDir('bench-daemon');
  setSetting(path.join(home, 'config'), 'roots', JSON.stringify([tree]));
  setSetting(path.join(home, 'config'), 'schedule', '0 0 1 1 *');
  setSetting(path.join(home, 'config'), 'notifications', 'false');
  const env = { ...process.env, BASEWATCH_HOME: home, DOCKER_HOST: world.dockerHost, NO_COLOR: '1' };
  const children: ChildProcess[] = [];
  try {
    const daemon = spawn(process.execPath, [path.join(repoRoot, 'bin', 'basewatch.js'), 'daemon'], { env, stdio: 'ignore' });
    children.push(daemon);
    const baseline = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(baseline);
    const runtime = { runtime: path.join(home, 'run') };
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await askDaemon(runtime, { kind: 'status' }).catch(() => null);
      if (status !== null && status.cycles.completed >= 1 && status.cycles.running === null) break;
      if (Date.now() > deadline) throw new Error('the daemon did not finish its startup cycle within 2 minutes');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const pids = [daemon.pid ?? 0, baseline.pid ?? 0] as const;
    const cpuBefore = pids.map(cpuSeconds);
    // Sampled each second as well: when V8 hands back the startup's heap varies by some seconds.
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMb(pids[0])), 1000);
    await new Promise((resolve) => setTimeout(resolve, MEASURE_MS));
    clearInterval(sampler);
    const mean = samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length);
    const cpu = pids.map((pid, i) => ((cpuSeconds(pid) - (cpuBefore[i] ?? 0)) / (MEASURE_MS / 1000)) * 100);
    const rss = pids.map((pid) => rssMb(pid));
    const peak = rssMb(pids[0], 'VmHWM');
    return (
      `daemon idle on ${FILES} files over ${MEASURE_MS / 1000} s: RSS ${rss[0]?.toFixed(0)} MB (bare node ${rss[1]?.toFixed(0)} MB, ` +
      `${((rss[0] ?? 0) / (rss[1] ?? 1)).toFixed(1)}x; mean over the minute ${mean.toFixed(0)} MB; peak during the startup scan and cycle ${peak.toFixed(0)} MB), ` +
      `CPU ${cpu[0]?.toFixed(2)}% of a core (bare node ${cpu[1]?.toFixed(2)}%); target < 100 MB, < 1%`
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
}
