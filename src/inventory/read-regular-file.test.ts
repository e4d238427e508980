import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readRegularFile } from './read-regular-file.js';

test('a regular file is read; a missing one says so; a FIFO, a folder or an oversized file is refused without waiting', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'regular-'));
  try {
    await fs.writeFile(path.join(dir, 'ok.json'), '{"a":1}');
    assert.equal(await readRegularFile(path.join(dir, 'ok.json'), 100), '{"a":1}');
    assert.equal(await readRegularFile(path.join(dir, 'ok.json'), 3), null);
    assert.equal(await readRegularFile(path.join(dir, 'none.json'), 100), 'missing');
    assert.equal(await readRegularFile(dir, 100), null);
    execFileSync('mkfifo', [path.join(dir, 'fifo.json')]);
    assert.equal(await readRegularFile(path.join(dir, 'fifo.json'), 100), null);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
