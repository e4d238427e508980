// `basewatch prune` (issue 15): rollback images pile up no more. Only the test's own image is
// named: the engine is shared, and other rollback images are not ours to remove.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patchedBase } from './helpers/patched-base.js';
import { buildImage, docker, getWorld, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

interface Pruned {
  removed: Array<{ tag: string; of: string | null }>;
  wouldRemove: Array<{ tag: string }>;
  kept: Array<{ tag: string; of: string | null }>;
}

describe('prune (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  it('keeps a rollback image younger than keepRollbacks and removes it when older; the image itself stays', async () => {
    const world = getWorld();
    assert.ok(world);
    const base = await patchedBase(world.registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
    const tag = `${uniqueName('prune')}:1`;
    const oldId = await buildImage({ context: project, tag });
    const home = await makeTempDir('prune-home');
    const rebased = await runBasewatch(['rebase', tag, '--root', project, '--json'], { home });
    assert.equal(rebased.code, 0, `${rebased.stdout}\n${rebased.stderr}`);
    const keepTag = (JSON.parse(rebased.stdout) as { keepTag: string }).keepTag;
    assert.equal(keepTag, `basewatch-rollback:${oldId.slice(7, 19)}`);

    // Default keepRollbacks (30d): a rebase of a moment ago is kept.
    const young = await runBasewatch(['prune', tag, '--json'], { home });
    assert.equal(young.code, 0, young.stderr);
    const kept = JSON.parse(young.stdout) as Pruned;
    assert.deepEqual(kept.removed, []);
    assert.deepEqual(kept.kept.map((entry) => [entry.tag, entry.of]), [[keepTag, tag]]);

    const dry = JSON.parse((await runBasewatch(['prune', tag, '--older-than', '0', '--dry-run', '--json'], { home })).stdout) as Pruned;
    assert.deepEqual(dry.wouldRemove.map((entry) => entry.tag), [keepTag]);
    assert.equal((await docker(['image', 'inspect', '--format', '{{.Id}}', keepTag])).trim(), oldId, 'a dry run removes nothing');

    const pruned = await runBasewatch(['prune', tag, '--older-than', '0', '--json'], { home });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual((JSON.parse(pruned.stdout) as Pruned).removed.map((entry) => entry.tag), [keepTag]);
    assert.equal(await docker(['image', 'inspect', keepTag]).then(() => 'present', () => 'gone'), 'gone');
    assert.equal(await docker(['image', 'inspect', tag]).then(() => 'present', () => 'gone'), 'present', 'the image itself stays');
  });

  it('a bad --older-than is a usage error naming the form', async () => {
    const result = await runBasewatch(['prune', '--older-than', 'soon'], { home: await makeTempDir('prune-bad') });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--older-than: expected a duration such as 0, 12h, 7d or 30d \(got "soon"\)/);
  });
});
