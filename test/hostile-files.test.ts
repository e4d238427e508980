// Hostile and broken local files (issue 16): under a watched root, and in place of basewatch's
// own files. `basewatch check` must finish quickly, in bounded memory, naming each bad file once;
// its own files of the wrong type are set aside with a warning; exit codes as the README says.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { basewatchPaths } from '../src/config/paths.js';
import { type Daemon, daemonHome, isRunning, killDaemon, lastCycle, startDaemon, waitFor, waitUntilIdle } from './helpers/daemon.js';
import { makeTempDir, runBasewatch, skipWithoutWorld, writeProject } from './helpers/world.js';

const execFileAsync = promisify(execFile);

/** Each run must finish well within this (it hung for minutes, or for ever, before). */
const TIMEOUT_MS = 30_000;
/**
 * Peak resident memory of one `basewatch check` child. A plain check of a small tree peaks near
 * 100 MB; a link to /dev/zero or a huge Dockerfile took 670 to 790 MB before.
 */
const PEAK_MEMORY_KB = 250 * 1024;

interface Report {
  dockerfiles: Array<{ path: string; bases: Array<{ ref: string | null }>; errors: Array<{ line: number | null; message: string }> }>;
  errors: Array<{ where: string; message: string }>;
}

/** A preload that writes the process's peak resident memory (VmHWM, kB) to $BASEWATCH_TEST_HWM_FILE at exit. */
async function peakMemoryProbe(): Promise<string> {
  const dir = await makeTempDir('hwm');
  const file = path.join(dir, 'hwm.mjs');
  await fs.writeFile(
    file,
    [
      "import { readFileSync, writeFileSync } from 'node:fs';",
      "process.on('exit', () => {",
      "  const peak = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];",
      '  if (peak !== undefined && process.env.BASEWATCH_TEST_HWM_FILE) writeFileSync(process.env.BASEWATCH_TEST_HWM_FILE, peak);',
      '});',
      '',
    ].join('\n'),
  );
  return file;
}

/** Runs basewatch with the peak-memory probe; returns the result, how long it took and its peak memory (kB). */
async function measured(args: string[], home?: string) {
  const probe = await peakMemoryProbe();
  const hwmFile = path.join(path.dirname(probe), 'peak');
  const started = Date.now();
  const result = await runBasewatch(args, {
    ...(home === undefined ? {} : { home }),
    timeoutMs: TIMEOUT_MS,
    env: { NODE_OPTIONS: `--import=${pathToFileURL(probe).href}`, BASEWATCH_TEST_HWM_FILE: hwmFile },
  });
  const ms = Date.now() - started;
  const peakKb = Number(await fs.readFile(hwmFile, 'utf8').catch(() => 'NaN'));
  return { ...result, ms, peakKb };
}

describe('hostile and broken local files', { skip: skipWithoutWorld() }, () => {
  it('check names each bad file under a root once, goes on with the rest, and stays fast and small', async () => {
    const deep = 5_000;
    const project = await writeProject({
      'good/Dockerfile': 'FROM busybox:1.36\n',
      // Over the 4 MiB a Dockerfile may have: refused unread.
      'huge/Dockerfile': `FROM busybox:1.36\n${'# padding to make this Dockerfile huge\n'.repeat(160_000)}`,
      // ${a:-${a:-…}} 5,000 deep in an ARG: a stack overflow and exit 70 before.
      'nested/Dockerfile': `ARG X=${'${a:-'.repeat(deep)}1.36${'}'.repeat(deep)}\nFROM busybox:$X\n`,
      // A glob that backtracks exponentially in a RegExp: hours before, a plain answer now.
      'glob/Dockerfile': `ARG V=${'a'.repeat(100)}\nFROM busybox:\${V/${'*?'.repeat(40)}b/x}\n`,
      // The same nesting in a compose file's interpolation.
      'backtrack/compose.yaml': `services:\n  web:\n    image: "app:${'${A:-'.repeat(deep)}1${'}'.repeat(deep)}"\n`,
      'dotenv/compose.yaml': 'services:\n  web:\n    image: "app:${TAG:-2}"\n',
    });
    await fs.mkdir(path.join(project, 'fifo'));
    await execFileAsync('mkfifo', [path.join(project, 'fifo/Dockerfile')]);
    await fs.mkdir(path.join(project, 'linkfifo'));
    await fs.symlink(path.join(project, 'fifo/Dockerfile'), path.join(project, 'linkfifo/Dockerfile'));
    await fs.mkdir(path.join(project, 'zero'));
    await fs.symlink('/dev/zero', path.join(project, 'zero/Dockerfile'));
    await execFileAsync('mkfifo', [path.join(project, 'dotenv/.env')]);

    const run = await measured(['check', '--offline', '--json', '--root', project]);
    assert.ok(run.ms < TIMEOUT_MS, `check took ${run.ms} ms`);
    assert.equal(run.code, 4, `exit 4: done, but some inputs could not be read\n${run.stderr}`);
    const report = JSON.parse(run.stdout) as Report;

    const expected: Array<[string, RegExp]> = [
      ['huge/Dockerfile', /larger than 4 MiB/],
      ['nested/Dockerfile', /nested more than 100 deep/],
      ['backtrack/compose.yaml', /nested more than 100 deep/],
      ['fifo/Dockerfile', /is a FIFO \(named pipe\), not a regular file/],
      ['linkfifo/Dockerfile', /is a symbolic link to a FIFO/],
      ['zero/Dockerfile', /is a symbolic link to a character device/],
      ['dotenv/.env', /is a FIFO/],
    ];
    for (const [relative, message] of expected) {
      const file = path.join(project, relative);
      const errors = report.errors.filter((error) => error.where === file || error.where.startsWith(`${file}:`));
      assert.equal(errors.length, 1, `${relative} is reported once: ${JSON.stringify(report.errors, null, 2)}`);
      assert.match(errors[0]?.message ?? '', message, relative);
    }
    assert.equal(report.errors.length, expected.length, JSON.stringify(report.errors, null, 2));

    // The rest of the check went on.
    const bases = (relative: string) => report.dockerfiles.find((file) => file.path === path.join(project, relative))?.bases.map((base) => base.ref);
    assert.deepEqual(bases('good/Dockerfile'), ['docker.io/library/busybox:1.36']);
    assert.deepEqual(bases('glob/Dockerfile'), [`docker.io/library/busybox:${'a'.repeat(100)}`]);

    assert.ok(Number.isFinite(run.peakKb), 'the peak memory was measured');
    assert.ok(run.peakKb < PEAK_MEMORY_KB, `peak memory ${Math.round(run.peakKb / 1024)} MB (bound ${PEAK_MEMORY_KB / 1024} MB)`);
    console.log(`# hostile root: check --offline took ${run.ms} ms, peak memory ${Math.round(run.peakKb / 1024)} MB`);
  });

  for (const kind of ['FIFO', 'folder', 'link to /dev/zero'] as const) {
    it(`a state file that is a ${kind} is set aside with a warning naming it; status and check go on`, async () => {
      const home = await makeTempDir('home');
      const stateDir = basewatchPaths({ BASEWATCH_HOME: home }).state;
      await fs.mkdir(stateDir, { recursive: true });
      const stateFile = path.join(stateDir, 'state.json');
      if (kind === 'FIFO') await execFileAsync('mkfifo', [stateFile]);
      else if (kind === 'folder') await fs.mkdir(stateFile);
      else await fs.symlink('/dev/zero', stateFile);

      // An offline check only peeks at the state: it must not block on it or read it whole.
      const project = await writeProject({ Dockerfile: 'FROM busybox:1.36\n' });
      const check = await measured(['check', '--offline', '--json', '--root', project], home);
      assert.equal(check.code, 0, check.stderr);
      assert.ok(check.peakKb < PEAK_MEMORY_KB, `peak memory ${Math.round(check.peakKb / 1024)} MB`);

      const status = await measured(['status', '--json'], home);
      assert.ok(status.ms < TIMEOUT_MS);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stderr, new RegExp(`warning: state file ${stateFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was .*not a regular file.*; moved it to `));
      assert.equal((JSON.parse(status.stdout) as { lastCheck: unknown }).lastCheck, null);
      const aside = (await fs.readdir(stateDir)).filter((name) => name.startsWith('state.json.corrupt-'));
      assert.equal(aside.length, 1, 'set aside once');
      await assert.rejects(fs.lstat(stateFile), { code: 'ENOENT' }, 'nothing left in its place');
      assert.ok(status.peakKb < PEAK_MEMORY_KB, `peak memory ${Math.round(status.peakKb / 1024)} MB`);
    });
  }

  let daemon: Daemon | undefined;
  after(() => killDaemon(daemon));

  it('the daemon runs its cycles over a root of hostile files and a FIFO state file, reporting each bad file, and goes on', async () => {
    const project = await writeProject({
      'good/Dockerfile': 'FROM scratch\n',
      'huge/Dockerfile': `FROM scratch\n${'# padding to make this Dockerfile huge\n'.repeat(160_000)}`,
      'nested/Dockerfile': `ARG X=${'${a:-'.repeat(5_000)}1${'}'.repeat(5_000)}\nFROM scratch\n`,
    });
    await fs.mkdir(path.join(project, 'fifo'));
    await execFileAsync('mkfifo', [path.join(project, 'fifo/Dockerfile')]);
    await fs.mkdir(path.join(project, 'zero'));
    await fs.symlink('/dev/zero', path.join(project, 'zero/Dockerfile'));
    const home = await daemonHome('hostile-daemon', [project]);
    const stateDir = basewatchPaths({ BASEWATCH_HOME: home }).state;
    await fs.mkdir(stateDir, { recursive: true });
    await execFileAsync('mkfifo', [path.join(stateDir, 'state.json')]);

    daemon = startDaemon(home);
    await waitUntilIdle(home, 1, daemon);
    const first = await lastCycle(home);
    assert.ok(first !== null, daemon.output());
    const reported: ReadonlyArray<{ where: string; message: string }> = first.report.errors;
    for (const relative of ['huge/Dockerfile', 'nested/Dockerfile', 'fifo/Dockerfile', 'zero/Dockerfile']) {
      const file = path.join(project, relative);
      const matching = reported.filter((error) => error.where === file || error.where.startsWith(`${file}:`));
      assert.equal(matching.length, 1, `${relative} reported once: ${JSON.stringify(reported)}`);
    }
    assert.ok((await fs.readdir(stateDir)).some((name) => name.startsWith('state.json.corrupt-')), 'the FIFO state file was set aside');
    // The warning is in the log (stderr, for journald): the cycle that set it aside may not be the last one by now.
    await waitFor('the warning naming the state file in the log', async () => {
      const output = daemon?.output() ?? '';
      return output.includes('cycle warning') && output.includes(`state file ${path.join(stateDir, 'state.json')} was a FIFO`);
    }, 5_000, daemon);

    // It goes on: a new Dockerfile starts a files cycle that sees it.
    const written = Date.now();
    await fs.mkdir(path.join(project, 'later'));
    await fs.writeFile(path.join(project, 'later/Dockerfile'), 'FROM scratch\n');
    await waitFor('a files cycle that reads the new Dockerfile', async () => {
      const last = await lastCycle(home);
      return last !== null && Date.parse(last.startedAt) >= written - 50 && last.report.dockerfiles.some((entry) => entry.path === path.join(project, 'later/Dockerfile'));
    }, 20_000, daemon);
    assert.ok(isRunning(daemon), daemon.output());
    await killDaemon(daemon);
  });

  it('a build links file that is a FIFO is set aside with a warning; a config file that is one is refused with exit 2', async () => {
    const home = await makeTempDir('home');
    const paths = basewatchPaths({ BASEWATCH_HOME: home });
    await fs.mkdir(paths.state, { recursive: true });
    const linksFile = path.join(paths.state, 'build-links.json');
    await execFileAsync('mkfifo', [linksFile]);
    const project = await writeProject({ Dockerfile: 'FROM busybox:1.36\n' });
    const check = await measured(['check', '--offline', '--json', '--root', project], home);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stderr, new RegExp(`warning: build links file ${linksFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a FIFO .*; moved it to `));
    await assert.rejects(fs.lstat(linksFile), { code: 'ENOENT' });

    await fs.mkdir(paths.config, { recursive: true });
    const configFile = path.join(paths.config, 'config.json');
    await execFileAsync('mkfifo', [configFile]);
    const refused = await measured(['check', '--offline', '--json', '--root', project], home);
    assert.equal(refused.code, 2, refused.stderr);
    assert.ok(refused.stderr.includes(`config file ${configFile} is a FIFO (named pipe), not a regular file`), refused.stderr);
  });

  it('a history file or notification memory that is a FIFO is set aside, and the command says so once', async () => {
    const home = await makeTempDir('home');
    const paths = basewatchPaths({ BASEWATCH_HOME: home });
    await fs.mkdir(paths.state, { recursive: true, mode: 0o700 });
    for (const [args, file, what] of [
      [['history', '--json'], 'history.jsonl', 'history file'],
      [['snooze', '--json'], 'notifications.json', 'notification memory'],
    ] as const) {
      const fifo = path.join(paths.state, file);
      await execFileAsync('mkfifo', [fifo]);
      const run = await measured([...args], home);
      const said = run.stderr.split('\n').filter((line) => line.includes(`warning: ${what} ${fifo} is a FIFO`));
      assert.equal(said.length, 1, `${args.join(' ')} (exit ${run.code}):\n${run.stderr}`);
      assert.match(said[0] ?? '', /; moved it to .*\.corrupt-/);
      await assert.rejects(fs.lstat(fifo), { code: 'ENOENT' }, `${fifo} is still there`);
    }
  });
});
