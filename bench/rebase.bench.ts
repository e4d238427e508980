/**
 * Rebase cost against two baselines measured in the same run on the same engine:
 *  - the engine's own `docker save` of the image (the export a rebase cannot avoid), and
 *  - `docker build --pull --no-cache` of the image's Dockerfile on the new base: what a rebuild costs
 *    (after a base change nothing below the FROM line can come from the build cache).
 * For a ~5 MB and a ~200 MB base, each with a small (~100 kB) and a large (~50 MB) app layer.
 * The new base is pulled before timing: both the rebase and the rebuild then find it local, so
 * neither figure includes network transfer. Medians of 3 runs.
 * BENCH_BREAKDOWN=1 also prints where the median rebase's time went (phases, engine and registry calls).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connectEngine } from '../src/engine/connect.js';
import { CallTrace } from './call-trace.js';
import type { EngineClient } from '../src/engine/docker-engine.js';
import { rebaseImage } from '../src/act/rebase/rebase-image.js';
import { rollbackImage } from '../src/act/rollback-image.js';
import { dockerCredentials } from '../src/registry/credentials.js';
import { createRegistryClient } from '../src/registry/registry-client.js';
import { basewatchPaths } from '../src/config/paths.js';
import { defaultSettings } from '../src/config/settings.js';
import { linkForAct } from '../src/pipeline/link-for-act.js';
import { docker, getWorld, makeBaseImage, makeTempDir, pushImage, uniqueName, writeProject } from '../test/helpers/world.js';
import { recordCreatedImage } from '../test/helpers/temp.js';

const RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function saveToNowhere(engine: EngineClient, image: string): Promise<void> {
  const stream = await engine.saveImage(image);
  for await (const _chunk of stream as AsyncIterable<Buffer>) {
    // read and drop: the engine's export cost alone
  }
}

interface Scenario {
  readonly baseMb: number;
  readonly appKb: number;
}

/** One engine the benchmark runs on: the test world's primary engine, or a modern one by image store. */
interface BenchEngine {
  readonly name: string;
  readonly host: string;
}

interface ScenarioFigures {
  readonly line: string;
  /** rebase time / docker save time, the figure compared across engines. */
  readonly vsSave: number;
}

async function runScenario(engine: EngineClient, on: BenchEngine, registryHost: string, scenario: Scenario): Promise<ScenarioFigures> {
  const onEngine = { env: { DOCKER_HOST: on.host } };
  const baseRef = `${registryHost}/${uniqueName(`bench-base-${scenario.baseMb}m`)}:1`;
  const filler = randomBytes(scenario.baseMb * 1024 * 1024);
  const oldBaseId = await makeBaseImage({ ref: baseRef, files: { '/opt/filler.bin': filler, '/etc/base-version': 'v1\n' }, dockerHost: on.host });
  await pushImage(baseRef, onEngine);
  await makeBaseImage({ ref: baseRef, files: { '/opt/filler.bin': filler, '/etc/base-version': 'v2\n' }, dockerHost: on.host });
  await pushImage(baseRef, onEngine);
  await docker(['tag', oldBaseId, baseRef], onEngine);

  const project = await writeProject({
    Dockerfile: `FROM ${baseRef}\nCOPY app.bin /srv/app.bin\n`,
    'app.bin': randomBytes(scenario.appKb * 1024),
  });
  const tag = `${uniqueName('bench-app')}:1`;
  recordCreatedImage(tag);
  await docker(['build', '-q', '-t', tag, project], onEngine);

  const home = await makeTempDir('bench-home');
  const paths = basewatchPaths({ BASEWATCH_HOME: home });
  const stateDir = paths.state;
  // What `basewatch rebase` does: link with the check's linker (offline), then rebase that link.
  const linked = async (on: EngineClient) => {
    const result = await linkForAct({ engine: on, settings: defaultSettings(), paths, env: {}, cwd: project, roots: [project], image: tag });
    if (!result.ok) throw new Error(`bench link of ${tag}: ${result.message}`);
    if (process.env['BENCH_DEBUG'] === '1') console.log(JSON.stringify({ base: result.linked.link.base, problem: result.linked.link.problem }));
    return result.linked;
  };
  const credentials = dockerCredentials();
  const registry = createRegistryClient({ credentials });
  try {
    // Warm-up: pulls the new base (not timed) and checks the rebase works at all.
    const first = await rebaseImage({ engine, registry, credentials, stateDir }, { image: tag, to: null, dryRun: false, force: false, linked: await linked(engine) });
    if (first.status !== 'rebased') throw new Error(`bench rebase of ${tag}: ${first.status}: ${first.reasons.join('; ')}`);
    await rollbackImage({ engine, stateDir }, tag);

    const saves: number[] = [];
    const rebases: number[] = [];
    const rebuilds: number[] = [];
    const traces: CallTrace[] = [];
    for (let run = 0; run < RUNS; run++) {
      saves.push(await timed(() => saveToNowhere(engine, tag)));
      const trace = new CallTrace();
      traces.push(trace);
      rebases.push(
        await timed(async () => {
          const traced = trace.wrap('engine', engine);
          trace.mark('linking it to its base');
          const outcome = await rebaseImage(
            { engine: traced, registry: trace.wrap('registry', registry), credentials, stateDir, onProgress: (step) => trace.mark(step) },
            { image: tag, to: null, dryRun: false, force: false, linked: await linked(traced) },
          );
          if (outcome.status !== 'rebased') throw new Error(`bench rebase: ${outcome.status}: ${outcome.reasons.join('; ')}`);
        }),
      );
      await rollbackImage({ engine, stateDir }, tag);
      rebuilds.push(await timed(() => docker(['build', '--pull', '--no-cache', '-q', '-t', `${tag}-rebuilt`, project], onEngine)));
      // That --pull moved the base's tag on to v2; put it back, so every run starts where the first did
      // (on the containerd store the image a pull moved a tag away from has no name left at all).
      await docker(['tag', oldBaseId, baseRef], onEngine);
    }
    const save = median(saves);
    const rebase = median(rebases);
    const rebuild = median(rebuilds);
    const app = scenario.appKb >= 1024 ? `${scenario.appKb / 1024} MB` : `${scenario.appKb} kB`;
    const breakdown = process.env['BENCH_BREAKDOWN'] === '1' ? traces[rebases.indexOf(rebase)]?.report(rebase * 1000) ?? [] : [];
    const line =
      `rebase on ${on.name}, base ${scenario.baseMb} MB + app ${app}: rebase ${rebase.toFixed(2)} s = ${(rebase / save).toFixed(2)}x docker save (${save.toFixed(2)} s), ` +
      `${(rebase / rebuild).toFixed(2)}x docker build --pull --no-cache (${rebuild.toFixed(2)} s)` +
      breakdown.map((entry) => `\n${entry}`).join('');
    return { line, vsSave: rebase / save };
  } finally {
    await registry.close();
  }
}

/** The engines of the test world: the primary one, and Engine 28 with each image store when provisioned. */
function benchEngines(world: NonNullable<ReturnType<typeof getWorld>>): BenchEngine[] {
  const engines: BenchEngine[] = [{ name: 'primary engine', host: world.dockerHost }];
  if (world.modernClassicHost !== null) engines.push({ name: 'Engine 28 classic store', host: world.modernClassicHost });
  if (world.modernContainerdHost !== null) engines.push({ name: 'Engine 28 containerd store', host: world.modernContainerdHost });
  return engines;
}

const SCENARIOS: readonly Scenario[] = [
  { baseMb: 5, appKb: 100 },
  { baseMb: 5, appKb: 50 * 1024 },
  { baseMb: 200, appKb: 100 },
  { baseMb: 200, appKb: 50 * 1024 },
];

export async function runRebaseBench(): Promise<string[]> {
  const world = getWorld();
  if (world === null) return ['rebase: skipped (no Docker engine + registry; `npm run bench` provisions them as root)'];
  const lines: string[] = [];
  const table = new Map<string, Map<string, string>>();
  // BENCH_ENGINE=containerd (a word of the engine's name) runs one engine only.
  const only = process.env['BENCH_ENGINE'];
  const engines = benchEngines(world).filter((on) => only === undefined || on.name.includes(only));
  for (const on of engines) {
    const engine = await connectEngine({ env: { DOCKER_HOST: on.host } });
    for (const scenario of SCENARIOS) {
      const key = `base ${scenario.baseMb} MB + app ${scenario.appKb >= 1024 ? `${scenario.appKb / 1024} MB` : `${scenario.appKb} kB`}`;
      const row = table.get(key) ?? new Map<string, string>();
      table.set(key, row);
      try {
        const figures = await runScenario(engine, on, world.registry, scenario);
        lines.push(figures.line);
        row.set(on.name, `${figures.vsSave.toFixed(2)}x`);
      } catch (error) {
        // One engine's failure is a figure of its own, not the end of the others'.
        lines.push(`rebase on ${on.name}, ${key}: failed: ${error instanceof Error ? error.message : String(error)}`);
        row.set(on.name, 'failed');
      }
      console.log(lines.at(-1));
    }
  }
  // Side by side: the rebase as a multiple of the same engine's docker save, per engine and store.
  const header = ['rebase / docker save', ...engines.map((on) => on.name)];
  const rows = [...table].map(([key, row]) => [key, ...engines.map((on) => row.get(on.name) ?? '-')]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((cells) => (cells[i] ?? '').length)));
  const format = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  for (const cells of [header, ...rows]) {
    lines.push(format(cells));
    console.log(lines.at(-1));
  }
  return lines;
}
