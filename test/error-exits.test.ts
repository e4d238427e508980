// Environment and configuration problems that reach the CLI's error mapper: each gives its
// documented exit code and one line naming the file or endpoint, never "internal error".
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { patchedBase } from './helpers/patched-base.js';
import {
  type BasewatchResult,
  buildImage,
  docker,
  getWorld,
  makeTempDir,
  runBasewatch,
  skipWithoutWorld,
  uniqueName,
  writeProject,
} from './helpers/world.js';

/** Lines of stderr that are not blank. */
function stderrLines(result: BasewatchResult): string[] {
  return result.stderr.split('\n').filter((line) => line.trim() !== '');
}

/** A unix socket that forwards to the test engine until `cut()` closes it and every connection. */
async function engineProxy(dockerHost: string): Promise<{ host: string; cut(): Promise<void> }> {
  const target = dockerHost.replace(/^unix:\/\//, '');
  const socketPath = path.join(await makeTempDir('proxy'), 'docker.sock');
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}

describe('error exits (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  it('an unreadable caFiles entry: exit 2 and one line naming the file and the setting', async () => {
    const home = await makeTempDir('ca-home');
    const missing = path.join(home, 'no-such-ca.pem');
    const set = await runBasewatch(['config', 'set', 'caFiles', missing], { home });
    assert.equal(set.code, 0, set.stderr);
    const project = await writeProject({ Dockerfile: 'FROM 127.0.0.1:5999/nothing/here:1\n' });
    const result = await runBasewatch(['check', '--root', project], { home });
    assert.equal(result.code, 2, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);
    const lines = stderrLines(result);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', /^basewatch: caFiles: cannot read the CA file .*no-such-ca\.pem \(ENOENT\); fix the path/);
    assert.doesNotMatch(result.stderr, /internal error/);
  });

  it('an engine that goes away between the check and the act: exit 3, one line naming the socket, the tag unmoved', async () => {
    const world = getWorld();
    assert.ok(world);
    const base = await patchedBase(world.registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
    const tag = `${uniqueName('gone')}:1`;
    const id = await buildImage({ context: project, tag });
    const home = await makeTempDir('gone-home');
    assert.equal((await runBasewatch(['config', 'set', 'minimumAge', '0'], { home })).code, 0);

    const proxy = await engineProxy(world.dockerHost);
    const pauseFile = path.join(await makeTempDir('pause'), 'paused');
    const running = runBasewatch(['update', '--root', project, tag], {
      home,
      env: { DOCKER_HOST: proxy.host, BASEWATCH_FAILPOINT: 'update:before-act', BASEWATCH_FAILPOINT_PAUSE: pauseFile },
    });
    let finished: BasewatchResult | null = null;
    void running.then((result) => (finished = result), () => undefined);
    const deadline = Date.now() + 90_000;
    while (!existsSync(pauseFile)) {
      const done = finished as BasewatchResult | null;
      if (done !== null) assert.fail(`update ended before it acted (exit ${done.code}):\n${done.stdout}\n${done.stderr}`);
      if (Date.now() > deadline) assert.fail('update did not reach the act step');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await proxy.cut();
    await fs.rm(pauseFile);
    const result = await running;

    assert.equal(result.code, 3, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);
    const lines = stderrLines(result);
    assert.equal(lines.length, 1, result.stderr);
    // The cycle goes on with the engine its check read: the first request of the act step finds it gone.
    const socket = proxy.host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(lines[0] ?? '', new RegExp(`^basewatch: the Docker engine stopped answering: .* on ${socket} \\(DOCKER_HOST\\) failed: `));
    assert.doesNotMatch(result.stderr, /internal error/);
    assert.equal((await docker(['image', 'inspect', '--format', '{{.Id}}', tag])).trim(), id, 'the tag did not move');
  });
});
