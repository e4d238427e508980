// The benchmarks `npm run bench` runs; `npm run bench -- daemon rebase` runs only those whose
// name contains one of the words given.
import path from 'node:path';
import { runCheckScaleBench } from './check-scale.bench.js';
import { runDaemonIdleBench } from './daemon-idle.bench.js';
import { runEditStatusBench } from './edit-status.bench.js';
import { runLinkBench } from './link-images.bench.js';
import { runRebaseBench } from './rebase.bench.js';
import { getWorld } from '../test/helpers/world.js';
import { removeTestArtifacts } from '../test/world/cleanup.js';
import { parseDockerHost } from '../test/world/engine-api.js';
import { LEDGER_FILE } from '../test/world/env.js';

/**
 * Each benchmark leaves the engine as it found it: the images one makes would otherwise be
 * checked by the next one's (the idle daemon's startup cycle above all), whatever order they run in.
 */
async function removeBenchImages(): Promise<void> {
  const world = getWorld();
  if (world === null) return;
  await removeTestArtifacts(parseDockerHost(world.dockerHost), { runId: world.runId, ledgerFile: path.join(world.dir, LEDGER_FILE), sweepStale: false });
}

const benches: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  ['link', async () => { for (const line of runLinkBench()) console.log(line); }],
  ['rebase', async () => void (await runRebaseBench())],
  ['daemon-idle', async () => console.log(await runDaemonIdleBench())],
  ['edit-status', async () => { for (const line of await runEditStatusBench()) console.log(line); }],
  ['check-scale', async () => { for (const line of await runCheckScaleBench()) console.log(line); }],
];
const wanted = process.argv.slice(2);
const chosen = benches.filter(([name]) => wanted.length === 0 || wanted.some((word) => name.includes(word)));
if (chosen.length === 0) {
  console.error(`no benchmark matches ${wanted.join(' ')}; there are: ${benches.map(([name]) => name).join(', ')}`);
  process.exit(2);
}
for (const [, run] of chosen) {
  await run();
  await removeBenchImages();
}
