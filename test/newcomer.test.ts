// Issue 15, "a newcomer's first ten minutes": a fresh BASEWATCH_HOME and a project folder (a
// Dockerfile and a compose file), then check → the base is pushed upstream → check → update →
// status → the daemon → status through it → the daemon stopped. At every step the commands agree
// (status, action, exit codes as the README's table says) and no line is wider than 80 columns.
// The engine is shared with other tests: every command names this test's image, and what the
// daemon reports is filtered to it; the daemon only reports (policy notify), so it touches no
// other test's image.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CheckReport } from '../src/report/check-report.js';
import { type Daemon, daemonStatus, killDaemon, startDaemon, waitFor } from './helpers/daemon.js';
import { type BasewatchResult, buildImage, docker, getWorld, makeBaseImage, pushImage, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

const COLUMNS = 80;
const quoted = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every line it printed, stdout and stderr, fits 80 columns. */
function assertFits(step: string, result: BasewatchResult): void {
  for (const line of `${result.stdout}\n${result.stderr}`.split('\n')) {
    assert.ok(Array.from(line).length <= COLUMNS, `${step}: a line over ${COLUMNS} columns (${Array.from(line).length}):\n${line}`);
  }
}

describe('a newcomer\'s first ten minutes (real engine, registry and daemon)', { skip: skipWithoutWorld() }, () => {
  let daemon: Daemon | undefined;
  let home = '';
  after(async () => {
    await killDaemon(daemon);
    if (home !== '') await rm(home, { recursive: true, force: true });
  });

  it('check, a base pushed upstream, check, update, status, the daemon, status through it: one story, exit codes as the README says, 80 columns', { timeout: 240_000 }, async () => {
    const world = getWorld()!;
    const baseRef = `${world.registry}/${uniqueName('newcomer-base')}:1`;
    const dpkg = (version: string) => [{ name: 'openssl', version }];
    const v1 = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v1\n' }, dpkg: dpkg('3.0.15-1') });
    await pushImage(baseRef);
    const tag = `${uniqueName('newcomer-app')}:1`;
    const project = await writeProject({
      Dockerfile: `FROM ${baseRef}\nCOPY app.txt /app.txt\n`,
      'app.txt': 'app\n',
      'compose.yaml': `services:\n  web:\n    build: .\n    image: ${tag}\n`,
    });
    await buildImage({ context: project, tag });
    // A home as short as a newcomer's (~/.local/state/basewatch): the test world's folders are
    // deep, and a path is never broken to fit (it is copied whole), so \`status\` would not fit.
    home = await mkdtemp(join(tmpdir(), 'bw-'));
    const run = async (step: string, args: string[]): Promise<BasewatchResult> => {
      const result = await runBasewatch(args, { home, cwd: project, env: { COLUMNS: String(COLUMNS) } });
      assertFits(step, result);
      return result;
    };
    const imageIn = async (args: string[]): Promise<CheckReport['images'][number]> => {
      const result = await runBasewatch(args, { home, cwd: project });
      const parsed = JSON.parse(result.stdout) as CheckReport | { report: CheckReport | null };
      const report = 'images' in parsed ? parsed : parsed.report;
      const image = report?.images.find((entry) => entry.name === tag);
      assert.ok(image, `${args.join(' ')}: ${tag} is in the report\n${result.stdout.slice(0, 2000)}`);
      return image;
    };

    // 1. The first check: up to date, exit 0 (also with --exit-code); the compose file names how it is built.
    const first = await run('first check', ['check', tag]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const current = await imageIn(['check', '--json', tag]);
    assert.equal(current.status, 'current', JSON.stringify(current));
    assert.ok(current.source?.dockerfile?.endsWith('/Dockerfile'), `the compose service is its source: ${JSON.stringify(current.source)}`);
    assert.equal((await run('check --exit-code', ['check', '--exit-code', tag])).code, 0);

    // 2. Upstream pushes a patched base under the same tag; the local copy stays v1.
    const v2 = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v2\n' }, dpkg: dpkg('3.0.16-1') });
    await pushImage(baseRef);
    await docker(['tag', v1, baseRef]);
    await docker(['image', 'rm', v2]).catch(() => '');

    // 3. check: outdated, and the next command is named; exit 0, 1 with --exit-code (README: 0, 1).
    const second = await run('check after the push', ['check', tag]);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /outdated/);
    // The base's new digest was first seen just now: minimumAge (1 h) holds it, and check says so.
    const next = /^Next: (.*)$/m.exec(second.stdout)?.[1];
    assert.match(next ?? '', /^basewatch update, in (1 h|59 min) \(now: basewatch config set minimumAge 0\)$/, `the next command: ${second.stdout}`);
    assert.equal((await run('check --exit-code, outdated', ['check', '--exit-code', tag])).code, 1);
    assert.equal((await imageIn(['check', '--json', tag])).status, 'outdated');
    const saidStatus = await run('status, outdated', ['status']);
    assert.equal(saidStatus.code, 0, saidStatus.stderr);
    assert.match(saidStatus.stdout, /^1 outdated/m, 'status agrees with check');
    assert.equal(/^Next: (.*)$/m.exec(saidStatus.stdout)?.[1], next, 'and names the same next command');

    // 4. update now: minimumAge holds it, and update says what acts now.
    const waiting = await run('update, minimumAge', ['update', tag]);
    assert.equal(waiting.code, 0, waiting.stdout + waiting.stderr);
    // Wrapped to 80 columns: read as one text.
    assert.match(waiting.stdout.replace(/\s+/g, ' '), new RegExp(`to act now: basewatch rebase ${quoted(tag)}, or basewatch config set minimumAge 0`), waiting.stdout);
    // The newcomer takes the second advice, then update acts.
    assert.equal((await run('config set', ['config', 'set', 'minimumAge', '0'])).code, 0);
    const update = await run('update', ['update', tag]);
    assert.equal(update.code, 0, update.stdout + update.stderr);
    assert.match(update.stdout, new RegExp(`^rebased +${quoted(tag)}: rebased onto`, 'm'), update.stdout);
    assert.match(update.stdout, /undo: basewatch rollback/);

    // 5. status: rebased, not outdated, with nothing left to do; check agrees.
    const after = await run('status after update', ['status']);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /^nothing outdated .*· 1 rebased today$/m, after.stdout);
    assert.equal((await imageIn(['status', '--json'])).status, 'current');
    // The image is rebased, but its Dockerfile's FROM still has the old local copy: the next plain
    // `docker build` would use it. check (exit 1 with --exit-code) and status name the pull.
    const again = await run('check --exit-code, rebased', ['check', '--exit-code', tag]);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(again.stdout, new RegExp(`^Next: docker pull ${quoted(baseRef)}$`, 'm'), again.stdout);
    const pullStatus = await run('status, a base to pull', ['status']);
    assert.match(pullStatus.stdout, /^nothing outdated · 1 base to pull · 1 rebased today$/m, pullStatus.stdout);
    assert.match(pullStatus.stdout, new RegExp(`^Next: docker pull ${quoted(baseRef)}$`, 'm'), pullStatus.stdout);
    await docker(['pull', baseRef]);
    const pulled = await run('check --exit-code, pulled', ['check', '--exit-code', tag]);
    assert.equal(pulled.code, 0, pulled.stdout + pulled.stderr);
    assert.doesNotMatch(pulled.stdout, /^Next:/m);

    // 6. The daemon, watching the project; only reporting (the engine is shared with other tests).
    assert.equal((await run('watch', ['watch', project])).code, 0);
    assert.equal((await run('policy', ['config', 'set', 'policy', 'notify'])).code, 0);
    daemon = startDaemon(home);
    await waitFor('the daemon', () => daemonStatus(home), 20_000, daemon);
    // Its startup cycle done; other tests' engine events may keep it busy after (never idle for long).
    await waitFor('the startup cycle', async () => ((await daemonStatus(home))?.cycles.completed ?? 0) >= 1, 90_000, daemon);
    const through = await run('status through the daemon', ['status']);
    assert.equal(through.code, 0, through.stderr);
    assert.match(through.stdout, new RegExp(`Daemon +running, pid ${daemon.child.pid}`), through.stdout);
    assert.equal((await imageIn(['status', '--json'])).status, 'current', 'the daemon\'s cycle agrees: not outdated');
    const now = await run('check --now through the daemon', ['check', '--now', '--exit-code', tag]);
    assert.equal(now.code, 0, now.stdout + now.stderr);
    assert.equal((await imageIn(['check', '--now', '--json', tag])).status, 'current');
    const nothing = await run('update through the daemon', ['update', tag]);
    assert.equal(nothing.code, 0, nothing.stdout + nothing.stderr);
    assert.match(nothing.stdout, /Nothing to do\./);

    // 7. Stopped: it exits 0, and status says it no longer runs.
    daemon.child.kill('SIGTERM');
    assert.deepEqual(await daemon.exited, { code: 0, signal: null }, daemon.output());
    const stopped = await run('status, daemon stopped', ['status']);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /Daemon +not running/);
    assert.equal((await imageIn(['status', '--json'])).status, 'current');
  });
});
