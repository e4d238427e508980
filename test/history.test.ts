// `basewatch history` after real rebases and a rollback: every package change, not "1 more".
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildImage, getWorld, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';
import { patchedBase } from './helpers/patched-base.js';

interface HistoryJson {
  historyFile: string;
  actions: Array<{
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
});
