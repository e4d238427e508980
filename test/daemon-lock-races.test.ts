// Several daemons starting at once, over the lock a SIGKILLed one left: exactly one wins, and the
// others name it. Real processes with the real probes; needs no engine or registry.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, it } from 'node:test';
import { DAEMON_LOCK_NAME } from '../src/daemon/daemon-lock.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function runtime(): Promise<{ runtime: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'daemon-lock-'));
  dirs.push(dir);
  return { runtime: path.join(dir, 'run') };
}
const lockFiles = async (paths: { runtime: string }): Promise<string[]> => readdir(path.join(paths.runtime, DAEMON_LOCK_NAME));

/**
 * A racer: takes the lock with the real probes when told "go" on stdin, prints what it got, and
 * keeps running (holding what it got) until stdin closes.
 */
const RACER = `
const { acquireDaemonLock } = await import(${JSON.stringify(new URL('../src/daemon/daemon-lock.js', import.meta.url).href)});
const { createInterface } = await import('node:readline');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write('ready\\n');
await lines.next();
const result = await acquireDaemonLock({ runtime: process.argv[1] });
process.stdout.write(JSON.stringify({ pid: process.pid, ok: result.ok, holder: result.ok ? null : result.pid }) + '\\n');
await lines.next();
process.exit(0);
`;

interface Racer {
  readonly child: ChildProcess;
  next(): Promise<string>;
}

function startRacer(runtimeDir: string): Racer {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RACER, runtimeDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    next: async () => {
      const line = await lines.next();
      if (line.done === true) throw new Error(`racer ${child.pid} exited early`);
      return line.value;
    },
  };
}

it('of several daemons starting at once over a dead one\'s lock, exactly one gets it', { timeout: 120_000 }, async () => {
  const paths = await runtime();
  // Round 0 races for a lock a SIGKILLed daemon left; every later round for the last winner's.
  const crashed = startRacer(paths.runtime);
  await crashed.next();
  crashed.child.stdin!.write('go\n');
  assert.equal(JSON.parse(await crashed.next()).ok, true);
  crashed.child.kill('SIGKILL');
  await new Promise((resolve) => crashed.child.once('exit', resolve));
  await writeFile(path.join(paths.runtime, 'daemon.sock'), '');

  const ROUNDS = 8;
  const RACERS = 6;
  for (let round = 0; round < ROUNDS; round++) {
    const racers = Array.from({ length: RACERS }, () => startRacer(paths.runtime));
    try {
      await Promise.all(racers.map((racer) => racer.next()));
      for (const racer of racers) racer.child.stdin!.write('go\n');
      const results = (await Promise.all(racers.map((racer) => racer.next()))).map((line) => JSON.parse(line) as { pid: number; ok: boolean; holder: number | null });
      const winners = results.filter((result) => result.ok);
      assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results)}`);
      for (const loser of results.filter((result) => !result.ok)) assert.equal(loser.holder, winners[0]!.pid, `round ${round}: losers name the winner`);
      assert.equal((await readFile(path.join(paths.runtime, 'daemon.pid'), 'utf8')).trim(), String(winners[0]!.pid));
    } finally {
      // The winner exits without letting go, as a crash would: the next round races for its lock.
      for (const racer of racers) racer.child.stdin!.end();
      await Promise.all(racers.map((racer) => (racer.child.exitCode === null ? new Promise((resolve) => racer.child.once('exit', resolve)) : null)));
    }
  }
  assert.ok((await lockFiles(paths)).length <= 2, `old lock files are cleared away: ${(await lockFiles(paths)).join(', ')}`);
});
