#!/usr/bin/env node
// `npm test`: type-check and build (tsc), bring up the test world (Docker engine + loopback
// registry, see test/world/), run unit and integration tests with node:test, tear the world
// down again, and exit with the test run's code.
//
//   node scripts/test.mjs [--unit] [--engine=NAME] [--test-*=… node:test flags] [path filters…]
//
//   --unit        only the unit tests beside the code (dist/src); no world
//   --engine=…    the engine the integration tests use as "the" test engine
//                 (BASEWATCH_TEST_DOCKER_HOST): primary (default; Engine 20.10), podman,
//                 modern-containerd or modern-classic (Engine 28, see test/world/modern-engine.ts)
//   --test-…      passed to `node --test`, e.g. --test-name-pattern=rebase
//   filters       run only test files whose source path contains one of them
//
// After the primary run (no --engine, or --engine=primary), the suites in MODERN_SUITES run
// again against Engine 28 with the containerd image store and with the classic store, in the
// same invocation and world; a closing line `N passed, N failed` sums every run, and the exit
// code is non-zero when any run failed.
//
// Under CI=true a world that cannot be brought up fails the run, and so does a modern engine
// that cannot be provisioned; elsewhere each is a warning and the tests that need it skip.
// BASEWATCH_TEST_KEEP_WORLD=1 keeps the world's logs.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const unitOnly = argv.includes('--unit');
const nodeTestFlags = argv.filter((arg) => arg.startsWith('--test-'));
const filters = argv.filter((arg) => !arg.startsWith('--'));
const ci = process.env.CI === 'true';
// Which World field (test/world/env.ts) each --engine names.
const ENGINES = { primary: 'dockerHost', podman: 'podmanHost', 'modern-containerd': 'modernContainerdHost', 'modern-classic': 'modernClassicHost' };
// The integration suites that must hold on every engine (project issue 12), as test file paths.
const MODERN_SUITES = [
  'test/check-offline.test',
  'test/check-upstream.test',
  'test/pulled-base.test',
  'test/rebuild.test',
  'test/update.test',
  'test/daemon.test',
  'test/rebase.test',
  'test/world.test',
  'test/rebase-again.test',
];
const MODERN_PASSES = ['modern-containerd', 'modern-classic'];
const engine = argv.findLast((arg) => arg.startsWith('--engine='))?.slice('--engine='.length) ?? 'primary';
const started = Date.now();

/** @type {import('node:child_process').ChildProcess | null} */
let current = null;
/** @type {{ teardown(options?: { keepLogs?: boolean }): Promise<void> } | null} */
let world = null;
let stopping = false;
/** The started world's description and the module that made it (for the modern passes' env). */
let worldDescription = null;
let provisionModule = null;

const say = (line) => process.stdout.write(`${line}\n`);
const since = (ms) => `${((Date.now() - ms) / 1000).toFixed(1)}s`;

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => void stop(signal));
}

try {
  process.exit(await main());
} catch (error) {
  say(`test runner: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await world?.teardown({ keepLogs: true });
  process.exit(1);
}

async function main() {
  if (!Object.hasOwn(ENGINES, engine)) {
    say(`--engine=${engine}: expected one of ${Object.keys(ENGINES).join(', ')}`);
    return 2;
  }
  // (a) Type-check and build. tsc emits even with type errors, but a type error fails the run.
  let mark = Date.now();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const tscCode = await runChild(process.execPath, [tsc, '-p', 'tsconfig.json'], process.env);
  await untilStopped();
  if (tscCode !== 0) {
    say(`tsc: failed (exit ${tscCode}) in ${since(mark)}`);
    return tscCode || 1;
  }
  say(`tsc: ok in ${since(mark)}`);

  // (b) The world. Tests learn about it only through BASEWATCH_TEST_* env vars.
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('BASEWATCH_TEST_')) delete env[key];
  if (!unitOnly) {
    mark = Date.now();
    try {
      const provision = await import(pathToFileURL(join(root, 'dist/test/world/provision.js')).href);
      // Asked for by name, the modern engine is required even outside CI.
      const modernEngine = ci || engine.startsWith('modern-') ? 'require' : 'try';
      const controller = provision.createWorld({ baseDir: join(root, '.test-world'), log: say, modernEngine });
      world = controller;
      const description = await controller.start();
      worldDescription = description;
      provisionModule = provision;
      const host = description[ENGINES[engine]];
      if (!host) throw new Error(`--engine=${engine}: this world has no such engine`);
      Object.assign(env, provision.worldToEnv({ ...description, dockerHost: host }));
      if (engine !== 'primary') say(`world: integration tests run against ${engine} (${host})`);
    } catch (error) {
      await untilStopped();
      const reason = error instanceof Error ? error.message : String(error);
      await world?.teardown({ keepLogs: true });
      world = null;
      if (ci || engine !== 'primary') {
        const why = ci ? 'under CI=true' : `for --engine=${engine}`;
        say(`world: FAILED to bring up the test world ${why} (after ${since(mark)}):\n${reason}`);
        return 1;
      }
      say(`world: WARNING: no test world, integration tests will skip:\n${reason}`);
    }
  }

  // (c) The tests. Only files whose .ts source still exists: dist/ keeps stale output.
  const dirs = unitOnly ? ['src'] : ['src', 'test'];
  const files = dirs.flatMap((dir) => testFiles(join(root, 'dist', dir)));
  if (files.length === 0) {
    say(filters.length > 0 ? `tests: no test file matches ${filters.join(', ')}` : 'tests: no test files');
    await world?.teardown();
    return filters.length > 0 ? 1 : 0;
  }
  say(`tests: ${files.length} files (${unitOnly ? 'unit only' : world ? 'unit + integration' : 'unit + integration without world'})`);
  const totals = { passed: 0, failed: 0 };
  const runs = [{ name: engine, code: await runTests(files, env, totals) }];
  say(`tests: exit ${runs[0].code}`);

  // (c2) The same suites on Engine 28, containerd store and classic store.
  if (!unitOnly && world && engine === 'primary') {
    const modernFiles = files.filter((file) => MODERN_SUITES.some((suite) => relative(join(root, 'dist'), file).replace(/\.js$/, '') === suite));
    for (const pass of MODERN_PASSES) {
      const host = worldDescription?.[ENGINES[pass]] ?? null;
      if (modernFiles.length === 0) break;
      if (!host) {
        // createWorld was told to require the modern engine under CI, so this is a local run.
        say(`${pass}: WARNING: no such engine in this world, its ${modernFiles.length} suites did not run`);
        continue;
      }
      say(`${pass}: ${modernFiles.length} suites against ${host}`);
      const modernEnv = { ...env, ...provisionModule.worldToEnv({ ...worldDescription, dockerHost: host }) };
      const code = await runTests(modernFiles, modernEnv, totals);
      say(`${pass}: exit ${code}`);
      runs.push({ name: pass, code });
    }
  }
  const testCode = runs.find((r) => r.code !== 0)?.code ?? 0;
  if (runs.length > 1) say(`runs: ${runs.map((r) => `${r.name} ${r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`}`).join(', ')}`);
  say(`${totals.passed} passed, ${totals.failed} failed`);

  // (d) Teardown; keep the logs of a failed run.
  const keepLogs = testCode !== 0 || process.env.BASEWATCH_TEST_KEEP_WORLD === '1';
  await world?.teardown({ keepLogs });
  say(`total: ${since(started)}`);
  return testCode;
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map((entry) => join(dir, String(entry)))
    .filter((file) => file.endsWith('.test.js'))
    .filter((file) => existsSync(join(root, relative(join(root, 'dist'), file)).replace(/\.js$/, '.ts')))
    .filter((file) => filters.length === 0 || filters.some((f) => relative(root, file).includes(f.replace(/\.ts$/, ''))))
    .sort();
}

/** One `node --test` run of `files`; adds its `ℹ pass N` / `ℹ fail N` to `totals`; resolves its exit code. */
async function runTests(files, env, totals) {
  const mark = Date.now();
  const counts = { pass: null, fail: null };
  const code = await runChild(
    process.execPath,
    ['--enable-source-maps', '--test', '--test-reporter=spec', ...nodeTestFlags, ...files.map((f) => relative(root, f))],
    env,
    (line) => {
      const match = /^ℹ (pass|fail) (\d+)$/.exec(line);
      if (match) counts[match[1]] = Number(match[2]);
    },
  );
  await untilStopped();
  totals.passed += counts.pass ?? 0;
  // A run that died before its summary counts as one failure, so the closing line never says 0 failed for it.
  totals.failed += counts.fail ?? (code === 0 ? 0 : 1);
  say(`tests: ${counts.pass ?? '?'} passed, ${counts.fail ?? '?'} failed, exit ${code} in ${since(mark)}`);
  return code;
}

/**
 * Runs a child with stdin and stderr inherited; its stdout is passed through, and each line also
 * to `onLine` when given. Resolves its exit code (1 when killed by a signal).
 */
function runChild(command, args, env, onLine) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['inherit', onLine ? 'pipe' : 'inherit', 'inherit'] });
    current = child;
    if (onLine) {
      let rest = '';
      child.stdout.on('data', (chunk) => {
        process.stdout.write(chunk);
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
      child.stdout.on('end', () => rest && onLine(rest));
    }
    child.on('error', reject);
    child.on('exit', (code) => {
      current = null;
      resolve(code ?? 1);
    });
  });
}

/** Once a signal is being handled, main() must not race stop() to the exit: park it. */
async function untilStopped() {
  if (stopping) await new Promise(() => {});
}

async function stop(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping`);
  const child = current;
  if (child && child.exitCode === null) {
    // A terminal's Ctrl-C already reached the child (same process group); a CI's SIGTERM did not.
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
  }
  await world?.teardown({ keepLogs: true });
  process.exit(signal === 'SIGINT' ? 130 : 143);
}
