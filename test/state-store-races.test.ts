// Several processes updating the state file at once: none loses an update. Needs no engine or
// registry.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadState } from '../src/record/state-store.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-state-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('state store', () => {
  it('loses no update when several processes update the file at once', { timeout: 120_000 }, async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'state.json');
    const PROCESSES = 5;
    const UPDATES = 20;
    // Each writer adds keys of its own: at the end all must be there.
    const WRITER = `
      const { updateState } = await import(${JSON.stringify(new URL('../src/record/state-store.js', import.meta.url).href)});
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
