// basewatch's own folders, files and control socket are the user's and nobody else's: made 0700
// and 0600, and one another user owns (or others may write to) is refused with one line naming it
// and exit 8. Ownership needs a second user: these run as root and hand folders to uid 65534.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Daemon, daemonStatus, killDaemon, startDaemon, waitFor } from './helpers/daemon.js';
import { patchedBase } from './helpers/patched-base.js';
import { buildImage, getWorld, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

const OTHER_UID = 65534;
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  assert.equal(lines.length, 1, `one line expected:\n${stderr}`);
  return lines[0] ?? '';
}

describe('own folders and files are private (as root)', { skip: skipWithoutWorld() || (asRoot ? false : 'needs root to hand a folder to another user') }, () => {
  it('refuses a state, cache, settings or runtime folder of another user, or one others may write to, naming it (exit 8)', async () => {
    const root = await writeProject({ 'README': 'nothing to build\n' });
    const cases: Array<{ folder: string; command: string[]; expect: RegExp; prepare: (dir: string) => void }> = [
      { folder: 'state', command: ['check', '--offline', '--root', root], expect: /belongs to another user \(uid 65534, you are uid 0\)/, prepare: (dir) => chownSync(dir, OTHER_UID, OTHER_UID) },
      { folder: 'config', command: ['config', 'set', 'policy', 'notify'], expect: /belongs to another user \(uid 65534/, prepare: (dir) => chownSync(dir, OTHER_UID, OTHER_UID) },
      { folder: 'run', command: ['status'], expect: /belongs to another user \(uid 65534/, prepare: (dir) => chownSync(dir, OTHER_UID, OTHER_UID) },
      { folder: 'cache', command: ['check', '--offline', '--root', root], expect: /may be written by other users \(mode 777\)/, prepare: (dir) => chmodSync(dir, 0o777) },
    ];
    for (const { folder, command, expect, prepare } of cases) {
      const home = await makeTempDir('foreign-home');
      const dir = path.join(home, folder);
      mkdirSync(dir, { mode: 0o700 });
      prepare(dir);
      const result = await runBasewatch(command, { home });
      assert.equal(result.code, 8, `${folder}: exit ${result.code}\n${result.stdout}${result.stderr}`);
      const line = oneLine(result.stderr);
      assert.ok(line.includes(dir), `${folder}: ${line}`);
      assert.match(line, expect);
      assert.match(line, /remove it|chmod 700/);
      assert.equal(result.stdout, '', `${folder}: nothing is printed as a result`);
      // Nothing was written into it.
      assert.deepEqual(readdirSync(dir), [], `${folder}: basewatch wrote into it`);
    }
  });

  describe('a control socket of another user', () => {
    let daemon: Daemon | undefined;
    after(() => killDaemon(daemon));

    it('is not talked to by the CLI, and a daemon does not start beside it', async () => {
      const home = await makeTempDir('foreign-socket');
      const runtime = path.join(home, 'run');
      mkdirSync(runtime, { mode: 0o700 });
      const socket = path.join(runtime, 'daemon.sock');
      const asked: string[] = [];
      const impostor = createServer((connection) => {
        asked.push('connection');
        connection.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
      });
      await new Promise<void>((resolve) => impostor.listen(socket, resolve));
      after(() => new Promise<void>((resolve) => impostor.close(() => resolve())));
      chownSync(socket, OTHER_UID, OTHER_UID);

      const status = await runBasewatch(['status'], { home });
      assert.equal(status.code, 8, status.stdout + status.stderr);
      const line = oneLine(status.stderr);
      assert.ok(line.includes(socket), line);
      assert.match(line, /control socket .* belongs to another user \(uid 65534/);
      assert.deepEqual(asked, [], 'the CLI talked to the socket');

      daemon = startDaemon(home);
      const exited = await daemon.exited;
      assert.equal(exited.code, 8, daemon.output());
      assert.ok(daemon.output().includes(socket), daemon.output());
      assert.equal(lstatSync(socket).uid, OTHER_UID, 'the socket was left as it was');
    });
  });

  describe('after check, update and a daemon run', () => {
    let daemon: Daemon | undefined;
    let registry = '';
    before(() => {
      registry = getWorld()?.registry ?? '';
    });
    after(() => killDaemon(daemon));

    it('every folder basewatch made is 0700 and every file 0600, all the user\'s own', async () => {
      const base = await patchedBase(registry);
      const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
      const tag = `${uniqueName('private')}:1`;
      await buildImage({ context: project, tag });
      const home = await makeTempDir('private-home');
      for (const [key, value] of [['minimumAge', '0'], ['notifyWebhook', 'http://127.0.0.1:9/hook?token=secret'], ['roots', JSON.stringify([project])]]) {
        assert.equal((await runBasewatch(['config', 'set', key as string, value as string], { home })).code, 0);
      }
      const check = await runBasewatch(['check', '--root', project, tag], { home });
      assert.ok(check.code === 0 || check.code === 1, check.stderr);
      const update = await runBasewatch(['update', '--root', project, tag], { home });
      assert.equal(update.code, 0, update.stdout + update.stderr);
      assert.match(update.stdout, /rebased/i);
      // The daemon only reports: the engine is shared, other tests' images must not be touched.
      assert.equal((await runBasewatch(['config', 'set', 'policy', 'notify'], { home })).code, 0);
      daemon = startDaemon(home);
      // Answering on its socket is enough: its first cycle checks every image of the shared
      // engine, which under load takes longer than the files need.
      await waitFor('the daemon to answer', () => daemonStatus(home), 60_000, daemon);
      // While it runs: the socket too.
      const walk = (dir: string): Array<{ file: string; kind: string; mode: number; uid: number }> =>
        readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
          const file = path.join(dir, entry.name);
          const stats = lstatSync(file);
          const kind = stats.isDirectory() ? 'folder' : stats.isSocket() ? 'socket' : stats.isFile() ? 'file' : 'other';
          const here = { file, kind, mode: stats.mode & 0o777, uid: stats.uid };
          return kind === 'folder' ? [here, ...walk(file)] : [here];
        });
      const running = walk(home);
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      const all = [...running, ...walk(home)];
      const kinds = new Set(all.map((entry) => entry.kind));
      assert.ok(kinds.has('socket') && kinds.has('file') && kinds.has('folder'), JSON.stringify([...kinds]));
      for (const name of ['state.json', 'history.jsonl', 'config.json', 'daemon.log', 'daemon.sock']) {
        assert.ok(all.some((entry) => path.basename(entry.file) === name), `no ${name} among ${all.map((entry) => path.relative(home, entry.file)).join(', ')}`);
      }
      const wrong = all.filter((entry) => entry.uid !== 0 || entry.kind === 'other' || entry.mode !== (entry.kind === 'folder' ? 0o700 : 0o600));
      assert.deepEqual(
        wrong.map((entry) => `${path.relative(home, entry.file)} ${entry.kind} ${entry.mode.toString(8)} uid ${entry.uid}`),
        [],
      );
    });
  });
});
