// `basewatch history` after real rebases and a rollback: every package change, not "1 more".
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { buildImage, getWorld, inspectImage, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';
import { patchedBase } from './helpers/patched-base.js';

interface HistoryJson {
  historyFile: string;
  actions: Array<{
    file?: string;
    changes?: Array<{ line: number; image: string; from: string; to: string; previous: string | null }>;
    kind: string;
    image: string;
    tags: string[];
    packageChanges: { upgraded: Array<{ name: string; from: string; to: string }>; added: string[]; removed: string[] } | null;
  }>;
}

describe('basewatch history (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('lists a rebase with all its package changes and the rollback after it; a name with no history exits 4', async () => {
    const base = await patchedBase(registry);
    const tag = `${uniqueName('hist')}:1`;
    await buildImage({ context: await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' }), tag });
    const home = await makeTempDir('home');

    const empty = await runBasewatch(['history'], { home });
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /No actions yet/);

    const rebase = await runBasewatch(['rebase', tag], { home });
    assert.equal(rebase.code, 0, rebase.stdout + rebase.stderr);
    // status keeps to its one-line summary (by source package); history has every change.
    const status = await runBasewatch(['status'], { home });
    assert.match(status.stdout, /rebase .*openssl 3\.0\.15-1~deb12u1 → 3\.0\.16-1~deb12u1/);
    assert.ok(!status.stdout.includes('libssl3'), status.stdout);

    const human = await runBasewatch(['history', tag], { home });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^rebase ${tag.replace(/[.:]/g, '\\$&')}  `, 'm'));
    assert.match(human.stdout, /^ {4}libssl3 3\.0\.15-1~deb12u1 → 3\.0\.16-1~deb12u1$/m);
    assert.match(human.stdout, /^ {4}openssl 3\.0\.15-1~deb12u1 → 3\.0\.16-1~deb12u1$/m);
    assert.ok(!human.stdout.includes('more'), human.stdout);

    const rollback = await runBasewatch(['rollback', tag], { home });
    assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
    const json = await runBasewatch(['history', '--json', tag], { home });
    assert.equal(json.code, 0, json.stderr);
    const history = JSON.parse(json.stdout) as HistoryJson;
    assert.deepEqual(history.actions.map((action) => action.kind), ['rebase', 'rollback']);
    assert.deepEqual(
      history.actions[0]?.packageChanges?.upgraded.map((change) => change.name),
      ['libssl3', 'openssl'],
    );
    assert.equal(history.actions[1]?.packageChanges, null);

    const typo = await runBasewatch(['history', tag.replace(/:1$/, 'x:1')], { home });
    assert.equal(typo.code, 4, typo.stdout + typo.stderr);
    assert.match(typo.stderr, new RegExp(`did you mean ${tag.replace(/[.:]/g, '\\$&')}\\?`));
  });

  it('lists a rebuild with its package changes and the pins policy pin moved; the list of all gives summaries, an image or --full every change', async () => {
    const base = await patchedBase(registry);
    // The digest the local v1 was pushed at: the pin the Dockerfile has, stale once v2 is pushed.
    const v1 = (await inspectImage(base.oldBaseId)).RepoDigests.find((digest) => digest.startsWith(base.baseRef.replace(/:[^:/]+$/, '@')));
    assert.ok(v1, 'the local v1 has its pushed digest');
    const v1Digest = v1.replace(/^.*@/, '');
    const project = await writeProject({
      'app/Dockerfile': `FROM ${base.baseRef}\nRUN echo built > /built\n`,
      'pinned/Dockerfile': `FROM ${base.baseRef}@${v1Digest}\nCOPY x /x\n`,
      'pinned/x': 'x\n',
    });
    const tag = `${uniqueName('hist-rebuild')}:1`;
    await buildImage({ context: join(project, 'app'), tag });
    const home = await makeTempDir('home');
    for (const args of [['link', tag, join(project, 'app', 'Dockerfile')], ['config', 'set', 'minimumAge', '0']]) {
      const done = await runBasewatch(args, { home });
      assert.equal(done.code, 0, done.stderr);
    }
    const rebuild = await runBasewatch(['rebuild', tag], { home });
    assert.equal(rebuild.code, 0, rebuild.stdout + rebuild.stderr);
    const policy = await runBasewatch(['config', 'set', 'policy', 'pin'], { home });
    assert.equal(policy.code, 0, policy.stderr);
    const update = await runBasewatch(['update', '--no-daemon', '--root', project, tag], { home });
    assert.match(update.stdout, /pinned/, update.stdout + update.stderr);
    assert.match(await readFile(join(project, 'pinned', 'Dockerfile'), 'utf8'), new RegExp(`@${base.newDigest}\n`), 'the pin moved');

    const json = JSON.parse((await runBasewatch(['history', '--json'], { home })).stdout) as HistoryJson;
    assert.deepEqual(json.actions.map((action) => action.kind), ['rebuild', 'pin']);
    assert.deepEqual(json.actions[0]?.packageChanges?.upgraded.map((change) => `${change.name} ${change.from} ${change.to}`), [
      'libssl3 3.0.15-1~deb12u1 3.0.16-1~deb12u1',
      'openssl 3.0.15-1~deb12u1 3.0.16-1~deb12u1',
    ]);
    const pin = json.actions[1];
    assert.equal(pin?.file, join(project, 'pinned', 'Dockerfile'));
    assert.equal(pin?.changes?.[0]?.previous, v1Digest);
    assert.ok(pin?.changes?.[0]?.to.endsWith(`@${base.newDigest}`), JSON.stringify(pin));

    // The list of all: each action in a line or two; the rebuild with its summary only.
    const all = await runBasewatch(['history'], { home });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`^rebuild ${tag.replace(/[.:]/g, '\\$&')}  `, 'm'));
    assert.match(all.stdout, /^ {2}packages: openssl 3\.0\.15-1~deb12u1 → 3\.0\.16-1~deb12u1/m);
    assert.doesNotMatch(all.stdout, /^ {4}libssl3/m);
    assert.match(all.stdout, new RegExp(`^pin ${join(project, 'pinned', 'Dockerfile').replace(/[.]/g, '\\.')}  `, 'm'));
    assert.match(all.stdout, new RegExp(`^ {4}${v1Digest.slice(0, 19)} → ${base.newDigest.slice(0, 19)}$`, 'm'));
    // About the image, or --full: every change.
    for (const args of [['history', tag], ['history', '--full']]) {
      const full = await runBasewatch(args, { home });
      assert.equal(full.code, 0, full.stderr);
      assert.match(full.stdout, /^ {4}libssl3 3\.0\.15-1~deb12u1 → 3\.0\.16-1~deb12u1$/m, args.join(' '));
      assert.match(full.stdout, /^ {4}openssl 3\.0\.15-1~deb12u1 → 3\.0\.16-1~deb12u1$/m, args.join(' '));
    }
    // A pin by its image.
    const byBase = await runBasewatch(['history', base.baseRef], { home });
    assert.equal(byBase.code, 0, byBase.stderr);
    assert.match(byBase.stdout, /^pin /m);
    assert.doesNotMatch(byBase.stdout, /^rebuild /m);
  });
});
