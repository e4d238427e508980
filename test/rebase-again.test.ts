// Rebase, roll back, rebase again: the second rebase finds the same base (on every image store).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { patchedBase } from './helpers/patched-base.js';
import { buildImage, docker, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

describe('rebase after a rollback (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  for (const keepNewBase of [false, true]) it(`rebases again onto the same new base after a rollback${keepNewBase ? ' (the new base already local)' : ''}`, async () => {
    const base = keepNewBase ? await localPatched(registry) : await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
    const tag = `${uniqueName('again')}:1`;
    await buildImage({ context: project, tag });
    const home = await makeTempDir('again-home');
    const first = await runBasewatch(['rebase', '--json', '--root', project, tag], { home });
    assert.equal(first.code, 0, first.stdout);
    const back = await runBasewatch(['rollback', tag], { home });
    assert.equal(back.code, 0, back.stdout + back.stderr);
    const check = await runBasewatch(['check', '--json', '--root', project, tag], { home });
    const image = (JSON.parse(check.stdout) as { images: Array<{ name: string; base: { ref: string } | null; status: string; reason: string }> }).images.find((i) => i.name === tag);
    assert.equal(image?.base?.ref, base.baseRef, JSON.stringify(image));
    const second = await runBasewatch(['rebase', '--json', '--root', project, tag], { home });
    assert.equal(second.code, 0, second.stdout);
    assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v2\n');
  });
});

/** v1 under the tag, v2 pushed under it and still in the engine (nameless on the containerd store). */
async function localPatched(registry: string): Promise<{ baseRef: string }> {
  const baseRef = `${registry}/${uniqueName('again-base')}:1`;
  const v1 = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v1\n' } });
  await pushImage(baseRef);
  await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v2\n' } });
  await pushImage(baseRef);
  await docker(['tag', v1, baseRef]);
  return { baseRef };
}
