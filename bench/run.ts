import { runLinkBench } from './link-images.bench.js';
import { runDaemonIdleBench } from './daemon-idle.bench.js';
import { runRebaseBench } from './rebase.bench.js';

for (const line of runLinkBench()) console.log(line);
await runRebaseBench();
console.log(await runDaemonIdleBench());
