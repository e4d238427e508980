// update through the daemon (issue 15): only the requested images in the answer, a warning when
// the shell's DOCKER_HOST is not the daemon's engine, and --no-daemon to run in this process.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CycleResult } from '../src/record/cycle-result.js';
import { type Daemon, daemonHome, killDaemon, startDaemon, waitFor, daemonStatus, waitUntilIdle } from './helpers/daemon.js';
import { buildImage, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

describe('update through the daemon (real engine)', { skip: skipWithoutWorld() }, () => {
  let daemon: Daemon | undefined;
  let home = '';
  let app = '';
  let other = '';
  let alias = '';

  before(async () => {
    const world = getWorld();
    assert.ok(world);
    const baseRef = `${world.registry}/${uniqueName('route-base')}:1`;
    await makeBaseImage({ ref: baseRef });
    await pushImage(baseRef);
    const project = await writeProject({ 'a/Dockerfile': `FROM ${baseRef}\nCOPY a.txt /a.txt\n`, 'a/a.txt': 'a\n', 'b/Dockerfile': `FROM ${baseRef}\nCOPY b.txt /b.txt\n`, 'b/b.txt': 'b\n' });
    app = `${uniqueName('route-a')}:1`;
    other = `${uniqueName('route-b')}:1`;
    await buildImage({ context: path.join(project, 'a'), tag: app });
    await buildImage({ context: path.join(project, 'b'), tag: other });
    // The same engine under another name: what the shell points at differs from the daemon's host.
    const dir = await makeTempDir('route-alias');
    await fs.symlink(world.dockerHost.replace(/^unix:\/\//, ''), path.join(dir, 'docker.sock'));
    alias = `unix://${path.join(dir, 'docker.sock')}`;
    home = await daemonHome('route-home', [project]);
    daemon = startDaemon(home);
    await waitFor('daemon status', () => daemonStatus(home), 20_000, daemon);
    await waitUntilIdle(home, 1, daemon);
  });

  after(async () => {
    await killDaemon(daemon);
  });

  it('answers about the requested image only, and warns that the shell uses another engine', async () => {
    const world = getWorld();
    assert.ok(world);
    const result = await runBasewatch(['update', app, '--dry-run', '--json'], { home, env: { DOCKER_HOST: alias } });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`this shell's DOCKER_HOST is ${alias.replace(/[.]/g, '\\.')}, but the running daemon \\(pid ${daemon?.child.pid}\\) uses ${world.dockerHost.replace(/[.]/g, '\\.')}.*--no-daemon`));
    const cycle = JSON.parse(result.stdout) as CycleResult;
    assert.equal(cycle.trigger.detail, 'basewatch update', 'the daemon ran it');
    assert.deepEqual(cycle.report.images.map((image) => image.name), [app]);
    assert.ok(cycle.plan.every((entry) => entry.image === app), JSON.stringify(cycle.plan));
  });

  it('--no-daemon runs the cycle here, on the shell\'s engine, with no warning', async () => {
    const result = await runBasewatch(['update', app, '--dry-run', '--json', '--no-daemon'], { home, env: { DOCKER_HOST: alias } });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.doesNotMatch(result.stderr, /warning/);
    const cycle = JSON.parse(result.stdout) as CycleResult;
    assert.equal(cycle.trigger.detail, undefined, 'run in this process, not by the daemon');
    assert.equal(cycle.report.engine?.host, alias);
    assert.deepEqual(cycle.report.images.map((image) => image.name), [app]);
  });
});
