// Tags that move while a rebase or rebuild is under way, against the real engine and registry:
// basewatch moves a tag only while it still names the image it started from, and says which it
// left alone.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { patchedBase } from './helpers/patched-base.js';
import {
  type BasewatchResult,
  buildImage,
  docker,
  getWorld,
  makeBaseImage,
  makeTempDir,
  pushImage,
  runBasewatch,
  skipWithoutWorld,
  uniqueName,
  writeProject,
} from './helpers/world.js';

interface Outcome {
  status: string;
  tags: string[];
  oldImageId: string | null;
  newImageId: string | null;
  newBase: { ref: string; digest: string } | null;
  reasons: string[];
  warnings: string[];
  keepTag: string | null;
}

function outcomeOf(result: BasewatchResult): Outcome {
  try {
    return JSON.parse(result.stdout) as Outcome;
  } catch {
    return assert.fail(`basewatch printed no JSON (exit ${result.code}, signal ${result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
}

async function idOf(ref: string): Promise<string> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

/** Runs basewatch until it reaches the failpoint, where it waits; `resume` lets it finish. */
async function pausedAt(point: string, args: string[], home: string): Promise<{ resume(): Promise<BasewatchResult> }> {
  const pauseFile = path.join(await makeTempDir('pause'), 'paused');
  let finished: BasewatchResult | null = null;
  const running = runBasewatch(args, { env: { BASEWATCH_FAILPOINT: point, BASEWATCH_FAILPOINT_PAUSE: pauseFile }, home });
  void running.then((result) => (finished = result), () => undefined);
  const deadline = Date.now() + 90_000;
  while (!existsSync(pauseFile)) {
    const done = finished as BasewatchResult | null;
    if (done !== null) assert.fail(`basewatch ended before ${point} (exit ${done.code}):\n${done.stdout}\n${done.stderr}`);
    if (Date.now() > deadline) assert.fail(`basewatch did not reach ${point}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    async resume() {
      await fs.rm(pauseFile);
      return running;
    },
  };
}

describe('tags re-pointed while basewatch works (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('a tag rebuilt by the user during a rebase stays on their build, is reported, and the other tags move', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
    const tag = `${uniqueName('race')}:1`;
    const dev = tag.replace(/:1$/, ':dev');
    const oldId = await buildImage({ context: project, tag });
    await docker(['tag', tag, dev]);
    const home = await makeTempDir('home');

    const rebasing = await pausedAt('rebase:after-load', ['rebase', '--json', tag], home);
    // `docker build -t app:dev .` while the rebased image is loaded but no tag has moved yet.
    await fs.writeFile(path.join(project, 'hello.txt'), 'changed\n');
    const devId = await buildImage({ context: project, tag: dev });
    const result = await rebasing.resume();
    const outcome = outcomeOf(result);

    assert.equal(result.code, 0, result.stdout);
    assert.equal(outcome.status, 'rebased');
    assert.deepEqual(outcome.tags, [tag]);
    assert.ok(outcome.warnings.includes(`${dev} was re-pointed to ${devId} while rebasing; left it there`), outcome.warnings.join('\n'));
    assert.equal(await idOf(dev), devId, 'the user build keeps its tag');
    assert.equal(await idOf(tag), outcome.newImageId);
    assert.equal(await docker(['run', '--rm', dev, 'cat', '/hello.txt']), 'changed\n');

    // Rollback knows only what the rebase moved.
    const rolled = await runBasewatch(['rollback', '--json', tag], { home });
    assert.equal(rolled.code, 0, rolled.stdout + rolled.stderr);
    assert.equal(await idOf(tag), oldId);
    assert.equal(await idOf(dev), devId);
  });

  it('a rebase that finishes second leaves the first one’s result alone and says so', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
    const tag = `${uniqueName('twice')}:1`;
    const stable = tag.replace(/:1$/, ':stable');
    await buildImage({ context: project, tag });
    await docker(['tag', tag, stable]);
    const home = await makeTempDir('home');

    // The daemon rebases onto the digest its plan approved (v2)…
    const first = await pausedAt('rebase:after-load', ['rebase', '--json', '--to', `${base.baseRef}@${base.newDigest}`, tag], home);
    // …while upstream publishes v3 and the user rebases onto that.
    const v3 = await makeBaseImage({
      ref: base.baseRef,
      files: { '/etc/motd': 'welcome\n', '/usr/share/base/readme': 'base\n', '/etc/base-version': 'v3\n' },
      env: { BASE_VERSION: '3', LANG: 'C.UTF-8' },
    });
    const v3Digest = await pushImage(base.baseRef);
    await docker(['tag', base.oldBaseId, base.baseRef]);
    await docker(['image', 'rm', v3]);
    const second = await runBasewatch(['rebase', '--json', tag], { home });
    const secondOutcome = outcomeOf(second);
    assert.equal(secondOutcome.status, 'rebased', second.stdout);
    assert.equal(secondOutcome.newBase?.digest, v3Digest);

    const result = await first.resume();
    const outcome = outcomeOf(result);
    assert.equal(result.code, 0, result.stdout);
    assert.equal(outcome.status, 'skipped', result.stdout);
    const theirs = secondOutcome.newImageId ?? '';
    for (const name of [tag, stable]) {
      assert.ok(outcome.reasons.includes(`${name} was re-pointed to ${theirs} while rebasing; left it there`), outcome.reasons.join('\n'));
      assert.equal(await idOf(name), theirs);
    }
    assert.equal(outcome.keepTag, null);
    assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v3\n');
    assert.ok(outcome.newImageId !== null, `fixture: the rebase made an image: ${JSON.stringify(outcome)}`);
    assert.notEqual(outcome.newImageId, theirs, 'fixture: v2 and v3 give different images');
    assert.ok(outcome.reasons.includes(`no tag is on ${outcome.oldImageId} any more; the rebased image was removed`), outcome.reasons.join('\n'));
    await assert.rejects(docker(['image', 'inspect', outcome.newImageId]), 'the unused rebased image was removed');

    const status = await runBasewatch(['status', '--json'], { home, env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    const actions = (JSON.parse(status.stdout) as { actions: Array<{ kind: string; toId: string }> }).actions;
    assert.deepEqual(actions.map((action) => [action.kind, action.toId]), [['rebase', theirs]], 'only the rebase that moved tags is recorded');
  });

  it('a tag re-pointed during a rebuild stays where the user put it', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nRUN echo built > /built.txt\n` });
    const tag = `${uniqueName('rebuilt')}:1`;
    const dev = tag.replace(/:1$/, ':dev');
    await buildImage({ context: project, tag });
    await docker(['tag', tag, dev]);
    const home = await makeTempDir('home');
    const link = await runBasewatch(['link', tag, path.join(project, 'Dockerfile')], { home });
    assert.equal(link.code, 0, link.stderr);

    const rebuilding = await pausedAt('rebuild:after-build', ['rebuild', '--json', tag], home);
    await docker(['tag', base.oldBaseId, dev]);
    const result = await rebuilding.resume();
    const outcome = outcomeOf(result);
    assert.equal(result.code, 0, result.stdout);
    assert.equal(outcome.status, 'rebuilt');
    assert.deepEqual(outcome.tags, [tag]);
    assert.ok(outcome.warnings.includes(`${dev} was re-pointed to ${base.oldBaseId} while rebuilding; left it there`), outcome.warnings.join('\n'));
    assert.equal(await idOf(dev), base.oldBaseId);
    assert.equal(await idOf(tag), outcome.newImageId);
  });
});
