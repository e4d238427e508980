import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { STATE_LOCK_NAME, type State, emptyState, loadState, updateState } from './state-store.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-state-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

const withRegistry = (name: string) => (state: State): State => ({
  ...state,
  registries: { ...state.registries, [name]: { registry: name, limit: 100, remaining: 99, windowSeconds: 21600, seenAt: 'x' } },
});

/** A pid that ran and is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('state store', () => {
  it('starts empty, then reads back what it saved, with a private file mode', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'nested', 'state.json');
    assert.deepEqual(await loadState(file), { state: emptyState(), warning: null });
    const saved = await updateState(file, withRegistry('docker.io'));
    assert.equal(saved.warning, null);
    assert.deepEqual((await loadState(file)).state, saved.state);
    assert.equal(saved.state.registries['docker.io']?.remaining, 99);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.deepEqual((await fs.readdir(path.dirname(file))).sort(), ['state.json', STATE_LOCK_NAME].sort());
  });

  it('sets a corrupt file aside with a warning that names both paths', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'state.json');
    await fs.writeFile(file, '{"version": 1, "lastCheck": ');
    const loaded = await loadState(file, new Date('2026-01-02T03:04:05Z'));
    assert.deepEqual(loaded.state, emptyState());
    const aside = `${file}.corrupt-2026-01-02T03-04-05-000Z`;
    assert.match(loaded.warning ?? '', /not valid JSON/);
    assert.ok(loaded.warning?.includes(aside));
    assert.equal(await fs.readFile(aside, 'utf8'), '{"version": 1, "lastCheck": ');
    await assert.rejects(fs.access(file));
  });

  it('sets aside a file of the wrong shape', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'state.json');
    await fs.writeFile(file, JSON.stringify({ version: 7 }));
    assert.match((await loadState(file)).warning ?? '', /unexpected content \(version/);
  });

  it('an update over a corrupt file sets it aside, says so, and starts from empty', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'state.json');
    await fs.writeFile(file, 'not json');
    const saved = await updateState(file, withRegistry('ghcr.io'), new Date('2026-01-02T03:04:05Z'));
    assert.match(saved.warning ?? '', /not valid JSON.*moved it to .*state\.json\.corrupt-2026-01-02T03-04-05-000Z/);
    assert.deepEqual(Object.keys((await loadState(file)).state.registries), ['ghcr.io']);
  });

  it('removes the temp files of crashed writers, never a live writer\'s', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'state.json');
    const gone = await deadPid();
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
    const temps = {
      crashed: `.state.json.${gone}.deadbeef.tmp`,
      crashedJustNow: `.state.json.${gone}.cafe.tmp`,
      live: `.state.json.${process.pid}.beef.tmp`,
      liveButAncient: `.state.json.${process.pid}.f00d.tmp`,
    };
    for (const name of Object.values(temps)) await fs.writeFile(path.join(dir, name), 'half');
    await fs.utimes(path.join(dir, temps.crashed), minutesAgo(5), minutesAgo(5));
    await fs.utimes(path.join(dir, temps.liveButAncient), minutesAgo(48 * 60), minutesAgo(48 * 60));
    await updateState(file, (state) => state);
    assert.deepEqual((await fs.readdir(dir)).sort(), [temps.crashedJustNow, temps.live, STATE_LOCK_NAME, 'state.json'].sort());
  });
});
