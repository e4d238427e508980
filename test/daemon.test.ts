// `basewatch daemon` end to end against the real engine and registry: one daemon per user, status
// over the control socket, file changes re-checked within 2 s, a pushed base seen on request and
// notified once (webhook), clean SIGTERM, and a SIGKILLed daemon's leftovers cleaned up.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setSetting } from '../src/config/config-store.js';
import { askDaemon } from '../src/daemon/control-client.js';
import type { DaemonStatus } from '../src/daemon/control-protocol.js';
import type { CycleResult } from '../src/pipeline/cycle.js';
import { normalizeImageRef } from '../src/refs/image-ref.js';
import {
  buildImage,
  docker,
  getWorld,
  makeBaseImage,
  makeTempDir,
  pushImage,
  repoRoot,
  skipWithoutWorld,
  uniqueName,
  writeProject,
} from './helpers/world.js';

interface Daemon {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** `basewatch daemon` once main.ts wires it; until then the command function through a launcher. */
function daemonArgs(): string[] {
  const main = readFileSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'utf8');
  if (main.includes("command('daemon')")) return [join(repoRoot, 'bin', 'basewatch.js'), 'daemon'];
  const launcher = `const { runDaemonCommand } = await import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'cli', 'daemon-command.js'))});
process.exitCode = await runDaemonCommand({}, { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });`;
  // The trailing "basewatch" lets the lock recognise the process in /proc/<pid>/cmdline.
  return ['--input-type=module', '-e', launcher, 'basewatch'];
}

function daemonEnv(home: string): NodeJS.ProcessEnv {
  const world = getWorld()!;
  const env: NodeJS.ProcessEnv = { ...process.env, BASEWATCH_HOME: home, NO_COLOR: '1', DOCKER_HOST: world.dockerHost, DOCKER_CONFIG: join(world.dir, 'docker-config') };
  for (const key of ['DOCKER_CONTEXT', 'DBUS_SESSION_BUS_ADDRESS', 'XDG_RUNTIME_DIR', 'DISPLAY']) delete env[key];
  return env;
}

function startDaemon(home: string): Daemon {
  const child = spawn(process.execPath, daemonArgs(), { env: daemonEnv(home), cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => stderr };
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, daemon?: Daemon): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}${daemon ? `\n--- daemon output ---\n${daemon.stderr()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const runtimeOf = (home: string) => ({ runtime: join(home, 'run') });
const status = (home: string) => askDaemon(runtimeOf(home), { kind: 'status' });
const lastCycle = (home: string) => askDaemon(runtimeOf(home), { kind: 'last-cycle' });

/** Idle: no cycle running or waiting, and at least `completed` cycles done. */
function idle(home: string, completed = 1): Promise<DaemonStatus> {
  return waitFor('an idle daemon', async () => {
    const s = await status(home);
    return s !== null && s.cycles.running === null && s.cycles.pending === 0 && s.cycles.completed >= completed ? s : null;
  });
}

describe('basewatch daemon', { skip: skipWithoutWorld() }, () => {
  const hooks: Array<{ body: { title: string; message: string; items: Array<{ kind: string; image: string; digest: string }> } }> = [];
  let hookServer: http.Server;
  let home: string;
  let project: string;
  let baseRef: string;
  let baseId: string;
  let otherBaseRef: string;
  let app: string;
  let daemon: Daemon;

  before(async () => {
    const world = getWorld()!;
    hookServer = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        hooks.push({ body: JSON.parse(text) as (typeof hooks)[number]['body'] });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    const port = (hookServer.address() as { port: number }).port;

    baseRef = `${world.registry}/${uniqueName('dbase')}:1`;
    otherBaseRef = `${world.registry}/${uniqueName('dother')}:1`;
    baseId = await makeBaseImage({ ref: baseRef });
    await pushImage(baseRef);
    await makeBaseImage({ ref: otherBaseRef, files: { '/etc/other': 'x' } });
    await pushImage(otherBaseRef);
    project = await writeProject({ 'Dockerfile': `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'hello\n', 'node_modules/dep/Dockerfile': 'FROM scratch\n' });
    app = `${uniqueName('dapp')}:1`;
    await buildImage({ context: project, tag: app });

    home = await makeTempDir('daemon-home');
    const config = join(home, 'config');
    setSetting(config, 'roots', JSON.stringify([project]));
    // notify: report, never touch images (the engine is shared with other tests).
    setSetting(config, 'policy', 'notify');
    setSetting(config, 'minimumAge', '0');
    setSetting(config, 'registryTimeoutSeconds', '5');
    setSetting(config, 'notifyWebhook', `http://127.0.0.1:${port}/hook`);
    daemon = startDaemon(home);
  });

  after(async () => {
    if (daemon !== undefined && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    hookServer?.close();
  });

  it('answers status over its socket: pid, engine, watched files, the startup cycle', async () => {
    const first = await waitFor('daemon status', () => status(home), 20_000, daemon);
    assert.equal(first.pid, daemon.child.pid);
    const ready = await idle(home);
    assert.equal(ready.engine.state, 'connected', JSON.stringify(ready.engine));
    assert.equal(ready.engine.host, getWorld()!.dockerHost);
    assert.deepEqual(ready.watcher.roots.map((root) => ({ root: root.root, dockerfiles: root.dockerfiles })), [{ root: project, dockerfiles: 1 }], 'node_modules is not watched');
    assert.equal(ready.cycles.last?.trigger.kind, 'startup');
    assert.equal(ready.schedule.expression, '0 */6 * * *');
    const mode = readFileSync(join(home, 'run', 'daemon.pid'), 'utf8').trim();
    assert.equal(mode, String(daemon.child.pid));
  });

  it('refuses a second daemon, naming the first one\'s pid', async () => {
    const second = startDaemon(home);
    const { code } = await second.exited;
    assert.equal(code, 2, second.stderr());
    assert.match(second.stderr(), new RegExp(`pid ${daemon.child.pid}\\) is already running`));
    assert.equal((await status(home))?.pid, daemon.child.pid, 'the first one is untouched');
  });

  it('re-checks within 2 s when a Dockerfile\'s FROM changes', async () => {
    await idle(home);
    const dockerfile = join(project, 'Dockerfile');
    const written = Date.now();
    await writeFile(dockerfile, `FROM ${otherBaseRef}\nCOPY app.txt /app.txt\n`);
    const result = await waitFor('a files cycle with the new base', async () => {
      const last = await lastCycle(home);
      if (last === null || last.trigger.kind !== 'files' || Date.parse(last.startedAt) < written - 50) return null;
      return last;
    }, 20_000, daemon);
    const startedAfter = Date.parse(result.startedAt) - written;
    const finishedAfter = Date.parse(result.finishedAt) - written;
    const base = result.report.dockerfiles.find((entry) => entry.path === dockerfile)?.bases[0];
    assert.equal(base?.ref, normalizeImageRef(otherBaseRef));
    assert.match(result.trigger.detail ?? '', /Dockerfile/);
    assert.ok(startedAfter <= 2_000, `cycle started ${startedAfter} ms after the save`);
    assert.ok(finishedAfter <= 2_000, `cycle finished ${finishedAfter} ms after the save`);
    process.stdout.write(`# files → cycle: started after ${startedAfter} ms, finished after ${finishedAfter} ms\n`);

    await mkdir(join(project, 'sub'), { recursive: true });
    await writeFile(join(project, 'sub', 'Dockerfile'), `FROM ${baseRef}\n`);
    await waitFor('the new Dockerfile counted', async () => (await status(home))?.watcher.roots[0]?.dockerfiles === 2, 10_000, daemon);
  });

  it('a pushed base shows the image outdated on request, and notifies once', async () => {
    await idle(home);
    await makeBaseImage({ ref: baseRef, files: { '/etc/patched': 'yes\n' } });
    const newDigest = await pushImage(baseRef);
    // Upstream moved; this machine still has the old copy of the tag.
    await docker(['tag', baseId, baseRef]);
    const result = (await askDaemon(runtimeOf(home), { kind: 'cycle', images: [app], reason: 'test' })) as CycleResult;
    assert.ok(result !== null, 'a daemon answered');
    assert.equal(result.trigger.kind, 'cli');
    const image = result.report.images.find((entry) => entry.tags.includes(app) || entry.name.endsWith(app));
    assert.equal(image?.status, 'outdated', JSON.stringify(image));
    assert.equal(image?.base?.latest, newDigest);
    const action = result.actions.find((entry) => entry.target === image?.name);
    assert.equal(action?.kind, 'reported', JSON.stringify(result.actions));

    const hook = await waitFor('the webhook', async () => hooks.find((entry) => entry.body.items.some((item) => item.image === image?.name)) ?? null, 10_000, daemon);
    assert.match(hook.body.message, new RegExp(`Update available for .*${app.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const count = () => hooks.filter((entry) => entry.body.items.some((item) => item.image === image?.name)).length;
    assert.equal(count(), 1);
    await askDaemon(runtimeOf(home), { kind: 'cycle', images: [app] });
    await idle(home);
    assert.equal(count(), 1, 'the same image and digest is not notified twice');
  });

  it('rebases per policy when asked for a cycle, and notifies once with the undo command', async () => {
    await idle(home);
    // Only this test's own image gets a policy that acts; everything else stays notify.
    setSetting(join(home, 'config'), 'policies', JSON.stringify([{ image: app, policy: 'auto' }]));
    await askDaemon(runtimeOf(home), { kind: 'reload' });
    const before = (await docker(['image', 'inspect', '--format', '{{.Id}}', app])).trim();
    const result = (await askDaemon(runtimeOf(home), { kind: 'cycle', images: [app], reason: 'test' })) as CycleResult;
    const action = result.actions.find((entry) => entry.target === app || entry.target.endsWith(app));
    assert.equal(action?.kind, 'rebased', JSON.stringify(result.actions));
    const after = (await docker(['image', 'inspect', '--format', '{{.Id}}', app])).trim();
    assert.notEqual(after, before);
    assert.equal(await docker(['run', '--rm', app, 'cat', '/etc/patched']), 'yes\n');

    const rebasedHooks = () => hooks.filter((entry) => entry.body.items.some((item) => item.kind === 'rebased' && item.image === action?.target));
    const hook = await waitFor('the rebase notification', async () => rebasedHooks()[0] ?? null, 10_000, daemon);
    assert.match(hook.body.message, /Rebased/);
    assert.match(hook.body.message, /basewatch rollback/);
    await askDaemon(runtimeOf(home), { kind: 'cycle', images: [app] });
    await idle(home);
    assert.equal(rebasedHooks().length, 1, 'one notification for one rebase');
  });

  it('stops cleanly on SIGTERM: exit 0, socket and pid file gone', async () => {
    daemon.child.kill('SIGTERM');
    const { code, signal } = await daemon.exited;
    assert.equal(signal, null, daemon.stderr());
    assert.equal(code, 0, daemon.stderr());
    assert.equal(existsSync(join(home, 'run', 'daemon.sock')), false);
    assert.equal(existsSync(join(home, 'run', 'daemon.pid')), false);
    assert.equal(await status(home), null, 'nobody answers: the CLI works alone');
    assert.match(readFileSync(join(home, 'logs', 'daemon.log'), 'utf8'), /daemon stopped/);
  });

  it('cleans up after a SIGKILLed daemon', async () => {
    const killed = startDaemon(home);
    await waitFor('the daemon', () => status(home), 20_000, killed);
    killed.child.kill('SIGKILL');
    await killed.exited;
    assert.equal(existsSync(join(home, 'run', 'daemon.sock')), true, 'a stale socket is left');
    assert.equal(existsSync(join(home, 'run', 'daemon.pid')), true, 'a stale pid file is left');
    daemon = startDaemon(home);
    const fresh = await waitFor('the next daemon', () => status(home), 20_000, daemon);
    assert.equal(fresh.pid, daemon.child.pid);
    assert.match(daemon.stderr(), /removed a stale leftover/);
    daemon.child.kill('SIGTERM');
    assert.equal((await daemon.exited).code, 0, daemon.stderr());
  });
});
