// A tag move a killed run left half done is finished by the next cycle whatever else it does,
// also when that cycle has nothing to do (it used to return first and leave the tags split).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Daemon, daemonHome, killDaemon, startDaemon, waitFor, waitUntilIdle } from './helpers/daemon.js';
import { patchedBase } from './helpers/patched-base.js';
import { buildImage, docker, getWorld, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

async function idOf(ref: string): Promise<string> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

describe('interrupted tag moves (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('an update with nothing to do still finishes the tag move a killed update left half done, and says so', async () => {
    const home = await makeTempDir('split-home');
    const { project, tag, other, newId } = await splitTags(home);
    const moved = (await idOf(tag)) === newId ? tag : other;

    // The tag that moved is current: this update has nothing to do, and must still finish the move.
    const again = await runBasewatch(['update', '--json', '--root', project, moved], { home });
    assert.equal(again.code, 0, again.stderr);
    const cycle = JSON.parse(again.stdout) as { actions: unknown[]; warnings?: string[] };
    assert.deepEqual(cycle.actions, []);
    assert.match((cycle.warnings ?? []).join('\n'), /finished an interrupted rebase of /);
    assert.equal(await idOf(tag), newId);
    assert.equal(await idOf(other), newId, 'both tags end on the same image');
  });

  /** An update killed between its first and second tag move: the image's two tags on two images. */
  async function splitTags(home: string): Promise<{ project: string; tag: string; other: string; newId: string }> {
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
    const tag = `${uniqueName('split')}:1`;
    const other = tag.replace(/:1$/, ':stable');
    const oldId = await buildImage({ context: project, tag });
    await docker(['tag', tag, other]);
    assert.equal((await runBasewatch(['config', 'set', 'minimumAge', '0'], { home })).code, 0);
    const killed = await runBasewatch(['update', '--root', project, tag], { env: { BASEWATCH_FAILPOINT: 'tags:after-first-move' }, home });
    assert.equal(killed.signal, 'SIGKILL', `the failpoint fired (${killed.stdout}${killed.stderr})`);
    const [first, second] = [await idOf(tag), await idOf(other)];
    assert.notEqual(first, second, 'the kill left the tags split');
    return { project, tag, other, newId: await idOf(first === oldId ? other : tag) };
  }

  /** A temp folder of a rebase whose process is gone, as a kill -9 during a rebase leaves it. */
  function deadRunTempFolder(home: string): string {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead !== undefined && dead > 0);
    const folder = path.join(home, 'state', 'tmp', `rebase-${dead}-dead`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'layer.tar'), 'half a layer');
    return folder;
  }

  it('check finishes the tag move a killed update left half done and removes a dead run\'s temp folder, and says so', async () => {
    const home = await makeTempDir('split-check-home');
    const { project, tag, other, newId } = await splitTags(home);
    const folder = deadRunTempFolder(home);
    // A folder of a live run (this test's own process) stays.
    const live = path.join(home, 'state', 'tmp', `rebase-${process.pid}-live`);
    mkdirSync(live, { recursive: true });

    const check = await runBasewatch(['check', '--json', '--root', project, tag], { home });
    assert.ok(check.code === 0 || check.code === 1, `exit ${check.code}: ${check.stderr}`);
    assert.match(check.stderr, /warning: finished an interrupted rebase of /);
    // The killed update's own temp folder goes too.
    const removed = /warning: removed (?:the temp folder of a basewatch run|\d+ temp folders of basewatch runs) that died: (.*)/.exec(check.stderr);
    assert.ok(removed, check.stderr);
    assert.ok(removed[1]?.split(', ').includes(folder), check.stderr);
    assert.equal(await idOf(tag), newId);
    assert.equal(await idOf(other), newId, 'both tags end on the same image');
    assert.equal(existsSync(folder), false, `${folder} is still there`);
    assert.equal(existsSync(live), true, 'the folder of a live run was removed');
    // The check's report sees the finished move: one image with both tags.
    const report = JSON.parse(check.stdout) as { images: Array<{ tags: string[] }> };
    assert.deepEqual(report.images.find((image) => image.tags.includes(tag))?.tags.slice().sort(), [tag, other].sort());
  });

  it('any command removes the temp folder of a dead run, and says so: status, config', async () => {
    for (const command of [['status'], ['config', 'get', 'policy']]) {
      const home = await makeTempDir('dead-temp-home');
      const folder = deadRunTempFolder(home);
      const result = await runBasewatch(command, { home });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stderr.includes(`warning: removed the temp folder of a basewatch run that died: ${folder}`), result.stderr);
      assert.equal(existsSync(folder), false, `${command.join(' ')} left ${folder}`);
    }
  });

  for (const command of ['rebase', 'rebuild'] as const) {
    it(`${command} of an image it cannot act on still finishes the tag move a killed update left half done first, and says so`, async () => {
      const home = await makeTempDir(`split-${command}-home`);
      const { tag, other, newId } = await splitTags(home);
      const missing = `${uniqueName('missing')}:1`;
      const result = await runBasewatch([command, '--json', missing], { home });
      const outcome = JSON.parse(result.stdout) as { status: string; warnings: string[] };
      assert.notEqual(outcome.status, command === 'rebase' ? 'rebased' : 'rebuilt', result.stdout);
      assert.match(outcome.warnings.join('\n'), /finished an interrupted rebase of /, result.stdout);
      assert.equal(await idOf(tag), newId);
      assert.equal(await idOf(other), newId, 'both tags end on the same image');
    });
  }

  describe('the daemon', () => {
    let daemon: Daemon | undefined;
    after(() => killDaemon(daemon));

    it('its first cycle finishes the tag move a killed update left half done, and says so in the cycle and the log', async () => {
      // The kill happens under the default policy (auto) in a home of its own; the daemon's home
      // (policy notify: the engine is shared, other tests' images must not be touched) gets the
      // journal it left, as if the daemon itself had been killed mid-move.
      const scratch = await makeTempDir('split-daemon-scratch');
      const { tag, other, newId } = await splitTags(scratch);
      const home = await daemonHome('split-daemon-home', [await makeTempDir('split-daemon-root')]);
      mkdirSync(path.join(home, 'state'), { recursive: true, mode: 0o700 });
      copyFileSync(path.join(scratch, 'state', 'tag-move-journal.json'), path.join(home, 'state', 'tag-move-journal.json'));
      const folder = deadRunTempFolder(home);
      daemon = startDaemon(home);
      await waitUntilIdle(home, 1, daemon);
      const running = daemon;
      await waitFor('the log line', async () => /warn .*cycle warning .*finished an interrupted rebase of /.test(running.output()), 10_000, running);
      // The startup cycle's result carries the warning (logged from it, after its "cycle finished"
      // and before the next one's). It need not be the last cycle: other tests' work on the shared
      // engine sends engine events, and their cycles may follow it.
      const lines = running.output().split('\n');
      const finished = lines.flatMap((line, index) => (line.includes('cycle finished') ? [index] : []));
      const warned = lines.findIndex((line) => /cycle warning .*finished an interrupted rebase of /.test(line));
      assert.match(lines[finished[0] ?? -1] ?? '', /"trigger":"startup"/, lines.join('\n'));
      assert.ok(warned > (finished[0] ?? Infinity) && (finished[1] === undefined || warned < finished[1]), lines.join('\n'));
      assert.equal(await idOf(tag), newId);
      assert.equal(await idOf(other), newId, 'both tags end on the same image');
      assert.equal(existsSync(folder), false, `${folder} is still there`);
    });
  });
});
