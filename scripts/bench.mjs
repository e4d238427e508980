#!/usr/bin/env node
// npm run bench: compile, bring up the same test world as `npm test` (engine + registry), then
// print each benchmark's figures as ratios against a baseline measured in the same run
// (absolute times vary by machine; ratios travel). Tears the world down afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const say = (line) => console.log(line);
const provision = await import(pathToFileURL(join(root, 'dist/test/world/provision.js')).href);
// The modern engine (Engine 28, both image stores) too, when it can be had: the rebase figures are per engine.
const controller = provision.createWorld({ baseDir: join(root, '.test-world'), log: say, modernEngine: 'try' });
const env = { ...process.env };
try {
  Object.assign(env, provision.worldToEnv(await controller.start()));
} catch (error) {
  say(`world: not available (${error instanceof Error ? error.message : String(error)}); engine benchmarks are skipped`);
}
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, [join(root, 'dist/bench/run.js'), ...process.argv.slice(2)], { stdio: 'inherit', env });
  child.on('exit', (status) => resolve(status ?? 1));
});
await controller.teardown();
process.exit(code);
