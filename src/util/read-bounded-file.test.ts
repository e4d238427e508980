import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FILE_SIZE_LIMITS, readBoundedFile, readBoundedFileSync } from './read-bounded-file.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bounded-read-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function at(name: string): string {
  return path.join(dir, name);
}

describe('readBoundedFile', () => {
  fs.writeFileSync(at('Dockerfile'), 'FROM alpine:3\n');
  fs.symlinkSync(at('Dockerfile'), at('link-to-file'));
  execFileSync('mkfifo', [at('fifo')]);
  fs.symlinkSync(at('fifo'), at('link-to-fifo'));
  fs.symlinkSync('/dev/zero', at('link-to-zero'));
  fs.mkdirSync(at('folder'));
  fs.writeFileSync(at('big'), Buffer.alloc(FILE_SIZE_LIMITS.dockerignore + 1, 'a'));
  fs.writeFileSync(at('at-limit'), Buffer.alloc(1024, 'b'));

  for (const [name, read] of [
    ['async', readBoundedFile],
    ['sync', readBoundedFileSync],
  ] as const) {
    it(`${name}: reads a regular file, and one through a symlink`, async () => {
      assert.deepEqual(await read(at('Dockerfile'), 'dockerfile'), { ok: true, text: 'FROM alpine:3\n' });
      assert.deepEqual(await read(at('link-to-file'), 'dockerfile'), { ok: true, text: 'FROM alpine:3\n' });
    });

    it(`${name}: refuses a FIFO, a symlink to one, /dev/zero, a folder and a socket without blocking`, async () => {
      const started = Date.now();
      const expected: Array<[string, RegExp]> = [
        ['fifo', /^is a FIFO \(named pipe\), not a regular file/],
        ['link-to-fifo', /^is a symbolic link to a FIFO/],
        ['link-to-zero', /^is a symbolic link to a character device/],
        ['folder', /^is a folder, not a regular file/],
      ];
      for (const [file, message] of expected) {
        const result = await read(at(file), 'dockerfile');
        assert.equal(result.ok, false, file);
        if (!result.ok) {
          assert.equal(result.problem, 'not-regular', file);
          assert.match(result.message, message, file);
        }
      }
      assert.ok(Date.now() - started < 2000, 'no read waited');
    });

    it(`${name}: refuses a file over its kind's limit, and reads one at a given limit`, async () => {
      const big = await read(at('big'), 'dockerignore');
      assert.equal(big.ok, false);
      if (!big.ok) assert.match(big.message, /larger than 1 MiB/);
      assert.equal((await read(at('at-limit'), 'cache', 1024)).ok, true);
      assert.equal((await read(at('at-limit'), 'cache', 1023)).ok, false);
    });

    it(`${name}: says a missing file is missing`, async () => {
      const missing = await read(at('nope'), 'state');
      assert.equal(missing.ok, false);
      if (!missing.ok) assert.equal(missing.problem, 'missing');
    });
  }

  it('refuses a socket', async () => {
    const socket = at('sock');
    const server = net.createServer().listen(socket);
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const result = await readBoundedFile(socket, 'compose');
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, /a socket/);
    } finally {
      server.close();
    }
  });
});
