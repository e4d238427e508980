// A tag move a killed run left half done is finished by the next cycle whatever else it does,
// also when that cycle has nothing to do (it used to return first and leave the tags split).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
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
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
    const tag = `${uniqueName('split')}:1`;
    const other = tag.replace(/:1$/, ':stable');
    const oldId = await buildImage({ context: project, tag });
    await docker(['tag', tag, other]);
    const home = await makeTempDir('split-home');
    assert.equal((await runBasewatch(['config', 'set', 'minimumAge', '0'], { home })).code, 0);

    const killed = await runBasewatch(['update', '--root', project, tag], { env: { BASEWATCH_FAILPOINT: 'tags:after-first-move' }, home });
    assert.equal(killed.signal, 'SIGKILL', `the failpoint fired (${killed.stdout}${killed.stderr})`);
    const [first, second] = [await idOf(tag), await idOf(other)];
    assert.notEqual(first, second, 'the kill left the tags split');
    const moved = first === oldId ? other : tag;
    const newId = await idOf(moved);

    // The tag that moved is current: this update has nothing to do, and must still finish the move.
    const again = await runBasewatch(['update', '--json', '--root', project, moved], { home });
    assert.equal(again.code, 0, again.stderr);
    const cycle = JSON.parse(again.stdout) as { actions: unknown[]; warnings?: string[] };
    assert.deepEqual(cycle.actions, []);
    assert.match((cycle.warnings ?? []).join('\n'), /finished an interrupted rebase of /);
    assert.equal(await idOf(tag), newId);
    assert.equal(await idOf(other), newId, 'both tags end on the same image');
  });
});
