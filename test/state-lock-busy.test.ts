// Another basewatch holding the state file's lock past the wait: what `check` and `update` tell
// the user, and their exit code. Needs no engine or registry: an unreachable engine still makes
// an online check that is recorded.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { makeTempDir, runBasewatch } from './helpers/world.js';

const FILE_LOCK_MODULE = JSON.stringify(new URL('../src/util/file-lock.js', import.meta.url).href);

/** A process that takes the lock in `dir` as a basewatch would, then keeps it until killed. */
async function holdLock(dir: string): Promise<ChildProcess> {
  const script = `
    const { tryTakeFileLock } = await import(${FILE_LOCK_MODULE});
    const taken = await tryTakeFileLock(process.argv[1]);
    if (!taken.ok) process.exit(1);
    process.stdout.write('held\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'held');
  return child;
}

describe('state file held by another basewatch', () => {
  it('check and update say who holds it and what to do, and exit 7; check still prints its report', { timeout: 120_000 }, async () => {
    const home = await makeTempDir('home');
    const root = await makeTempDir('root');
    const stateFile = path.join(home, 'state', 'state.json');
    const noEngine = { DOCKER_HOST: 'unix:///nonexistent.sock' };
    const holder = await holdLock(path.join(home, 'state', 'state.lock'));
    try {
      const [check, update] = await Promise.all([
        runBasewatch(['check', '--json', '--root', root], { home, env: noEngine }),
        runBasewatch(['update', '--root', root], { home, env: noEngine }),
      ]);
      const busy = new RegExp(
        `another basewatch \\(pid ${holder.pid}\\) has held the state file ${stateFile.replace(/[.]/g, '\\.')} for 30 s .*: wait for it to finish, or if it is stuck .*\`kill ${holder.pid}\`\\), then run this again`,
      );

      assert.equal(check.code, 7, check.stderr);
      assert.match(check.stderr, /^basewatch: this check was not recorded: /);
      assert.match(check.stderr, busy);
      assert.doesNotMatch(check.stderr, /internal error|FileLockTimeoutError|after 30000 ms/);
      assert.deepEqual((JSON.parse(check.stdout) as { roots: string[] }).roots, [root], 'the report is printed');
      await assert.rejects(fs.access(stateFile), 'and not recorded');

      assert.equal(update.code, 7, update.stderr);
      assert.match(update.stderr, /^basewatch: nothing was updated: /);
      assert.match(update.stderr, busy);
    } finally {
      holder.kill('SIGKILL');
    }
    await new Promise((resolve) => (holder.exitCode === null && holder.signalCode === null ? holder.once('exit', resolve) : resolve(null)));

    // A holder that is gone is no obstacle: the next check records at once.
    const again = await runBasewatch(['check', '--json', '--root', root], { home, env: noEngine });
    assert.equal(again.code, 3, again.stderr);
    await fs.access(stateFile);
  });
});
