// What a command loads is part of how fast it starts (project issue 14): `status` loads no
// package at all, `check` no HTTP client package (registries are asked through node:http) and,
// on a unix socket, not dockerode (the engine is read through node:http too), and
// `check --offline` not ssh2, which only an ssh:// engine needs, nor yaml for a project without
// compose files. Counted from inside the real CLI process: an
// `--import` hook lists every module URL it resolves and, at exit, every CommonJS file loaded.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { getWorld, makeTempDir, runBasewatch, skipWithoutWorld, writeProject } from './helpers/world.js';

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function initialize(data) { globalThis.loadsFile = data.file; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(globalThis.loadsFile, result.url + '\\n');
  return result;
}
`;

const PRELOAD = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
const file = process.env.LOADS_FILE;
register(new URL('./hooks.mjs', import.meta.url), { data: { file } });
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(file, Object.keys(require.cache).join('\\n') + '\\n'));
`;

/** The packages (node_modules folders) a basewatch run loaded. */
async function packagesLoaded(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string; packages: Set<string> }> {
  const dir = await makeTempDir('loads');
  await fs.writeFile(path.join(dir, 'hooks.mjs'), HOOKS);
  await fs.writeFile(path.join(dir, 'preload.mjs'), PRELOAD);
  const file = path.join(dir, 'loads.txt');
  await fs.writeFile(file, '');
  const result = await runBasewatch(args, { ...(cwd ? { cwd } : {}), env: { LOADS_FILE: file, NODE_OPTIONS: `--import ${path.join(dir, 'preload.mjs')}` } });
  const packages = new Set<string>();
  for (const line of (await fs.readFile(file, 'utf8')).split('\n')) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (match) packages.add(match[1]!);
  }
  return { code: result.code, stdout: result.stdout, stderr: result.stderr, packages };
}

describe('what a command loads as it starts', () => {
  it('status, with no daemon, loads no package', async () => {
    const { code, stderr, packages } = await packagesLoaded(['status']);
    assert.equal(code, 0, stderr);
    assert.deepEqual([...packages], []);
  });

  it('the count sees what a command loads: check loads zod, and on a unix socket not dockerode', { skip: skipWithoutWorld() }, async () => {
    const project = await writeProject({ 'Dockerfile': 'FROM debian:12\n' });
    const { code, stdout, stderr, packages } = await packagesLoaded(['check', '--offline', '--json', '--root', project]);
    assert.equal(code, 0, stderr);
    assert.ok(packages.has('zod'), [...packages].join(' '));
    // The engine was read (its images listed) over node:http: dockerode is for pulls, builds and the like.
    const report = JSON.parse(stdout) as { engine: { host: string } | null };
    assert.ok(report.engine !== null, stdout);
    if (report.engine.host.startsWith('unix://')) assert.ok(!packages.has('dockerode') && !packages.has('docker-modem'), 'check on a unix socket loads dockerode');
    assert.ok(!packages.has('undici'), 'check --offline loads undici');
    assert.ok(!packages.has('ssh2'), 'check --offline against a unix socket loads ssh2');
    assert.ok(!packages.has('yaml'), 'check --offline of a project without compose files loads yaml');
  });

  it('check asks a registry without loading an HTTP client package', { skip: skipWithoutWorld() }, async () => {
    const project = await writeProject({ 'Dockerfile': `FROM ${getWorld()!.registry}/start-up-loads/never-pushed:1\n` });
    const { stdout, stderr, packages } = await packagesLoaded(['check', '--json', '--root', project]);
    // The registry was asked: it answered that the tag is not there.
    const report = JSON.parse(stdout) as { dockerfiles: Array<{ bases: Array<{ status: string; reason: string }> }> };
    assert.deepEqual(report.dockerfiles.map((file) => file.bases.map((base) => base.status)), [['error']], stderr);
    assert.match(report.dockerfiles[0]!.bases[0]!.reason, /not found|no such|does not exist/i);
    assert.ok(!packages.has('undici'), 'check loads undici');
  });
});
