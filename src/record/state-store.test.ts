import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
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

  it('loses no update when several processes update the file at once', { timeout: 120_000 }, async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'state.json');
    const PROCESSES = 5;
    const UPDATES = 20;
    // Each writer adds keys of its own: at the end all must be there.
    const WRITER = `
      const { updateState } = await import(${JSON.stringify(new URL('./state-store.js', import.meta.url).href)});
      const [file, id, updates] = process.argv.slice(1);
      await new Promise((resolve) => process.stdin.once('data', resolve));
      for (let i = 0; i < Number(updates); i++) {
        const key = id + '-' + i;
        const seen = { ref: key, platform: 'linux/amd64', digest: 'sha256:' + i, platformDigest: null, configDigest: null, firstSeenAt: 'x', checkedAt: 'x' };
        await updateState(file, (state) => ({ ...state, upstream: { ...state.upstream, [key]: seen } }));
      }
      process.exit(0);
    `;
    const children: ChildProcess[] = Array.from({ length: PROCESSES }, (_, id) =>
      spawn(process.execPath, ['--input-type=module', '-e', WRITER, file, `w${id}`, String(UPDATES)], { stdio: ['pipe', 'inherit', 'pipe'] }),
    );
    const stderr = children.map((child) => {
      let text = '';
      child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
      return () => text;
    });
    const exits = children.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve)));
    // Let them all load first, then start them together.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const child of children) child.stdin!.end('go\n');
    const codes = await Promise.all(exits);
    assert.deepEqual(codes, children.map(() => 0), stderr.map((text) => text()).join('\n'));
    const keys = Object.keys((await loadState(file)).state.upstream).sort();
    const expected = Array.from({ length: PROCESSES }, (_, id) => Array.from({ length: UPDATES }, (_, i) => `w${id}-${i}`)).flat().sort();
    assert.deepEqual(keys, expected, `lost ${expected.filter((key) => !keys.includes(key)).join(', ')}`);
  });
});
