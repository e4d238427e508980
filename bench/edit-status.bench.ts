/**
 * Edit → status latency with a cycle running (issue 14: "a file edit is a small event"): the
 * daemon's cycle is held by a registry that does not answer, and each of 20 trials edits a
 * Dockerfile's FROM line and times how long until the state file `basewatch status` reads shows
 * the new base. p50 and p95, against a bare `node -e 0` start measured in the same run (the
 * baseline, interleaved with the trials). Target: p95 under 1 s.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STATE_FILE_NAME } from '../src/record/state-store.js';
import { normalizeImageRef } from '../src/refs/image-ref.js';
import { daemonHome, daemonStatus, killDaemon, startDaemon, waitFor } from '../test/helpers/daemon.js';
import { startHeldRegistry } from '../test/helpers/held-registry.js';
import { fillEngine } from './fill-engine.js';
import { docker, getWorld, makeBaseImage, pushImage, uniqueName, writeProject } from '../test/helpers/world.js';

const TRIALS = 20;

/** BENCH_EDIT_IMAGES=1500: add images until the engine holds about that many (a developer's scale; removed after). */
async function engineImages(): Promise<number> {
  return new Set((await docker(['images', '-aq'])).split('\n').filter((line) => line !== '')).size;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The final FROM of `file` in the saved report, or null. */
function savedFrom(stateFile: string, file: string): string | null {
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { lastCheck: { report: { dockerfiles: Array<{ path: string; bases: Array<{ ref: string; final: boolean }> }> } } | null };
    return state.lastCheck?.report.dockerfiles.find((entry) => entry.path === file)?.bases.find((base) => base.final)?.ref ?? null;
  } catch {
    return null;
  }
}

export async function runEditStatusBench(): Promise<string[]> {
  const world = getWorld();
  if (world === null) return ['edit → status: skipped (needs the test world)'];
  const wanted = Number(process.env.BENCH_EDIT_IMAGES ?? '0');
  const fill = await fillEngine(Math.max(0, wanted - (await engineImages())));
  const held = await startHeldRegistry();
  const refs = [`${world.registry}/${uniqueName('editbase')}:1`, `${world.registry}/${uniqueName('editother')}:1`];
  for (const [i, ref] of refs.entries()) {
    await makeBaseImage({ ref, files: { '/etc/which': `${i}\n` } });
    await pushImage(ref);
  }
  const project = await writeProject({ Dockerfile: `FROM ${refs[0]}\n`, 'other/Dockerfile': `FROM ${refs[1]}\n` });
  await mkdir(path.join(project, 'held'));
  await writeFile(path.join(project, 'held', 'Dockerfile'), `FROM ${held.host}/held:1\n`);
  const home = await daemonHome('bench-edit-home', [project], { registryTimeoutSeconds: '300' });
  const stateFile = path.join(home, 'state', STATE_FILE_NAME);
  const dockerfile = path.join(project, 'Dockerfile');
  const daemon = startDaemon(home);
  try {
    // The startup cycle reads every image of the engine, then waits on the held registry for good.
    await held.arrived;
    const busy = await waitFor('the held startup cycle', async () => {
      const status = await daemonStatus(home);
      return status?.cycles.running !== null && status?.cycles.running !== undefined ? status.cycles.running : null;
    }, 120_000, daemon);
    const edits: number[] = [];
    const bare: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const started = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0']);
      bare.push(Number(process.hrtime.bigint() - started) / 1e6);

      const ref = refs[(trial + 1) % 2]!;
      const wanted = normalizeImageRef(ref);
      const written = process.hrtime.bigint();
      await writeFile(dockerfile, `FROM ${ref}\n`);
      for (;;) {
        if (savedFrom(stateFile, dockerfile) === wanted) break;
        if (Number(process.hrtime.bigint() - written) / 1e6 > 60_000) throw new Error(`trial ${trial}: the edit did not reach the state file within 60 s\n${daemon.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      edits.push(Number(process.hrtime.bigint() - written) / 1e6);
      // Let the daemon's after-edit work settle before the next edit.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const status = await daemonStatus(home);
    const images = await engineImages();
    const stillHeld = status?.cycles.running?.startedAt === busy.startedAt;
    const base = percentile(bare, 50);
    const p50 = percentile(edits, 50);
    const p95 = percentile(edits, 95);
    // The quick path says in its log line whether it reused the daemon's image list (no engine event since) or listed again.
    const rereads = readFileSync(path.join(home, 'logs', 'daemon.log'), 'utf8').split('\n').filter((line) => line.includes('edited files re-read'));
    const reused = rereads.filter((line) => line.includes('"imageListReused":true')).length;
    return [
      `edit → status with a cycle running (${TRIALS} trials, ${stillHeld ? 'the same held cycle ran throughout' : 'WARNING: the held cycle ended during the trials'}; ` +
        `engine with ${images} images): p50 ${p50.toFixed(0)} ms (${(p50 / base).toFixed(1)}x node -e 0), ` +
        `p95 ${p95.toFixed(0)} ms (${(p95 / base).toFixed(1)}x node -e 0); node -e 0 p50 ${base.toFixed(0)} ms; target p95 < 1 s; ` +
        `${rereads.length} quick rechecks, ${reused} of them on the kept image list`,
    ];
  } finally {
    await killDaemon(daemon);
    await held.close();
    await fill.remove();
  }
}
