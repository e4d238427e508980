// The benchmarks `npm run bench` runs; `npm run bench -- daemon rebase` runs only those whose
// name contains one of the words given.
import { runDaemonIdleBench } from './daemon-idle.bench.js';
import { runLinkBench } from './link-images.bench.js';
import { runRebaseBench } from './rebase.bench.js';

const benches: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  ['link', async () => { for (const line of runLinkBench()) console.log(line); }],
  ['rebase', async () => void (await runRebaseBench())],
  ['daemon-idle', async () => console.log(await runDaemonIdleBench())],
];
const wanted = process.argv.slice(2);
const chosen = benches.filter(([name]) => wanted.length === 0 || wanted.some((word) => name.includes(word)));
if (chosen.length === 0) {
  console.error(`no benchmark matches ${wanted.join(' ')}; there are: ${benches.map(([name]) => name).join(', ')}`);
  process.exit(2);
}
for (const [, run] of chosen) await run();
