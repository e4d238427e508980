#!/usr/bin/env node
// npm run bench: compile, then print each benchmark's figures as ratios against a baseline
// measured in the same run (absolute times vary by machine; ratios travel).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const bench = spawnSync(process.execPath, [join(root, 'dist/bench/run.js')], { stdio: 'inherit' });
process.exit(bench.status ?? 1);
