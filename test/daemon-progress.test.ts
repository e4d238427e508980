// Issue 15, "through the daemon": `update` sent to a daemon that is in the middle of a cycle shows
// on a terminal where it is ("queued behind a cycle of 412 images, 38%"), then its own progress,
// never a blank terminal; `status` shows the running cycle's progress. The daemon's cycle is held
// by a registry that does not answer until the test lets it; the CLI runs in a pseudo-terminal.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Daemon, daemonHome, daemonStatus, killDaemon, startDaemon, waitFor } from './helpers/daemon.js';
import { type HeldRegistry, startHeldRegistry } from './helpers/held-registry.js';
import { buildImage, getWorld, makeBaseImage, pushImage, runBasewatch, runBasewatchInTerminal, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';
import { join } from 'node:path';

const REWRITE = '\r\u001b[K';
const COLUMNS = 80;

describe('a request through a busy daemon (real daemon, engine and registry)', { skip: skipWithoutWorld() }, () => {
  let held: HeldRegistry;
  let daemon: Daemon | undefined;
  let home = '';
  let app = '';

  before(async () => {
    const world = getWorld()!;
    held = await startHeldRegistry();
    const baseRef = `${world.registry}/${uniqueName('busy-base')}:1`;
    await makeBaseImage({ ref: baseRef });
    await pushImage(baseRef);
    // The held Dockerfile makes every cycle over the project wait on the held registry.
    const project = await writeProject({ 'app/Dockerfile': `FROM ${baseRef}\nCOPY a.txt /a.txt\n`, 'app/a.txt': 'a\n', 'held/Dockerfile': `FROM ${held.host}/held:1\n` });
    app = `${uniqueName('busy-app')}:1`;
    await buildImage({ context: join(project, 'app'), tag: app });
    // The held registry must hold the cycle longer than the test waits: no timeout of 5 s.
    home = await daemonHome('busy-home', [project], { registryTimeoutSeconds: '300' });
  });

  after(async () => {
    await killDaemon(daemon);
    await held?.close();
  });

  it('update says it is queued behind the running cycle (its size and share done), then shows its own progress; status shows the cycle\'s progress', async () => {
    daemon = startDaemon(home);
    await held.arrived;
    const busy = await waitFor('the held startup cycle, asking registries', async () => {
      const status = await daemonStatus(home);
      return status?.cycles.running?.progress?.phase === 'registries' ? status : null;
    }, 30_000, daemon);
    const images = busy.cycles.running?.progress?.images ?? 0;
    assert.ok(images >= 2, `the cycle counts the engine's images (at least the app and its base): ${JSON.stringify(busy.cycles.running)}`);

    const status = await runBasewatch(['status'], { home });
    assert.match(status.stdout, new RegExp(`Cycle +running since .*: startup, ${images} images, (3[3-9]|[4-5]\\d|6[0-6])%`), status.stdout);

    const update = runBasewatchInTerminal(['update', app], { home, columns: COLUMNS, timeoutMs: 90_000 });
    const piped = runBasewatch(['check', '--now', app], { home, timeoutMs: 90_000 });
    await waitFor('both requests queued behind the held cycle', async () => {
      const now = await daemonStatus(home);
      return now !== null && now.cycles.running?.startedAt === busy.cycles.running?.startedAt && now.cycles.pending === 2;
    }, 30_000, daemon);
    // The terminal is told at once; a little time for the CLI to draw it.
    await new Promise((resolve) => setTimeout(resolve, 600));
    held.release();
    const [shown, quiet] = await Promise.all([update, piped]);

    // 5: the held registry answered 404 in the end, so the held Dockerfile's base was not checked.
    assert.equal(shown.code, 5, shown.terminal + shown.stdout);
    assert.match(shown.stdout, new RegExp(`${app.replace(/[.]/g, '\\.')}|Nothing to do`), 'the answer went to stdout');
    const states = shown.terminal.split(REWRITE).slice(1);
    for (const state of states) {
      assert.ok(!state.includes('\n'), `a progress line ran onto a new line: ${JSON.stringify(state)}`);
      assert.ok(Array.from(state).length < COLUMNS, `wider than ${COLUMNS} columns: ${JSON.stringify(state)}`);
    }
    assert.match(states[0] ?? '', /^asking the daemon \(pid \d+\)$/, 'something shows from the start');
    const queued = states.findIndex((state) => /^queued behind a cycle of \d+ images, \d+%$/.test(state));
    assert.ok(queued >= 0, `no queued line: ${states.join(' | ')}`);
    const [, count, percent] = /^queued behind a cycle of (\d+) images, (\d+)%$/.exec(states[queued]!)!;
    assert.equal(Number(count), images, 'the size of the cycle ahead');
    assert.ok(Number(percent) >= 33 && Number(percent) <= 66, `held while asking the registries: ${percent}%`);
    const own = states.slice(queued + 1).filter((state) => state !== '' && !state.startsWith('queued'));
    assert.ok(own.length > 0, `then its own progress: ${states.join(' | ')}`);
    assert.equal(states.at(-1), '', 'the line is cleared at the end');

    assert.equal(quiet.code, 5, quiet.stderr + quiet.stdout);
    assert.ok(!quiet.stderr.includes('\r') && !/queued/.test(quiet.stderr), `stderr not a terminal: no progress line: ${JSON.stringify(quiet.stderr)}`);
  });
});
