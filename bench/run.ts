import { runLinkBench } from './link-images.bench.js';

for (const line of runLinkBench()) console.log(line);
