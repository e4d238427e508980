import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { emptyState, loadState, saveState } from './state-store.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-state-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('state store', () => {
  it('starts empty, then reads back what it saved, with a private file mode', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'nested', 'state.json');
    assert.deepEqual(await loadState(file), { state: emptyState(), warning: null });
    const state = emptyState();
    state.registries['docker.io'] = { registry: 'docker.io', limit: 100, remaining: 99, windowSeconds: 21600, seenAt: 'x' };
    await saveState(file, state);
    assert.deepEqual((await loadState(file)).state, state);
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
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

  it('cleans temp files a crashed writer left behind', async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'state.json');
    await fs.writeFile(path.join(dir, '.state.json.999.deadbeef.tmp'), 'half');
    await saveState(file, emptyState());
    assert.deepEqual(await fs.readdir(dir), ['state.json']);
  });
});
