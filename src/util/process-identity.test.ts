import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { it } from 'node:test';
import { isProcessRunning, ownProcessIdentity, processStartTime, startTicksFromProcStat } from './process-identity.js';

it('reads the start time from /proc/<pid>/stat, whatever the command name holds', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[19] = '634636';
  assert.equal(startTicksFromProcStat(`42 (a) b (c) ${fields.join(' ')}`), '634636');
  assert.equal(startTicksFromProcStat('garbage'), null);
});

it('names this process the same way each time, and a reused pid differently', async () => {
  const me = await ownProcessIdentity();
  if (process.platform !== 'win32') assert.notEqual(me.start, null);
  assert.deepEqual({ pid: me.pid, start: await processStartTime(process.pid) }, me);
  assert.equal(await isProcessRunning(me), true);
  assert.equal(await isProcessRunning({ pid: me.pid, start: 'another process' }), me.start === null);
});

it('uses ps where there is no /proc, and finds nothing for a process that ended', { skip: process.platform === 'win32' }, async () => {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(await processStartTime(child.pid!), null);
  assert.equal(await isProcessRunning({ pid: child.pid!, start: 'x' }), false);
  const viaPs = await processStartTime(process.pid, 'darwin');
  assert.match(viaPs ?? '', /^ps:\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}$/);
  assert.equal(await processStartTime(process.pid, 'darwin'), viaPs);
});
