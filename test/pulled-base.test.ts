// The everyday case: an app was built on python:3.12-slim, then `docker pull python:3.12-slim`
// brought the patched base. The app's base keeps only its digest in the engine (the tag moved on);
// basewatch still names it by the tag an earlier check saw, so the app shows outdated instead of
// "unknown", and `update` can rebase it.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type Patched, patchedBase } from './helpers/patched-base.js';
import { buildImage, docker, getWorld, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

interface ImageEntry {
  tags: string[];
  base: { ref: string; digest: string | null; latest: string | null } | null;
  status: string;
  reason: string;
}

describe('an app whose base tag a pull moved on', { skip: skipWithoutWorld() }, () => {
  let base: Patched;
  let app: string;
  let other: string;
  let home: string;
  let oldDigest: string;

  const check = async (): Promise<ImageEntry> => {
    const result = await runBasewatch(['check', '--json', app], { home });
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    const entry = (JSON.parse(result.stdout) as { images: ImageEntry[] }).images.find((image) => image.tags.includes(app));
    assert.ok(entry, result.stdout);
    return entry;
  };

  before(async () => {
    base = await patchedBase(getWorld()!.registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
    // Not under any watched root: nothing but the engine and basewatch's own records link it.
    app = `${uniqueName('pulled-app')}:1`;
    await buildImage({ context: project, tag: app });
    other = `${uniqueName('pulled-other')}:1`;
    await buildImage({ context: await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY other.txt /other.txt\n`, 'other.txt': 'other\n' }), tag: other });
    home = await makeTempDir('pulled-home');
    // The patched base was pushed seconds ago: adopt it now rather than after an hour.
    const set = await runBasewatch(['config', 'set', 'minimumAge', '0'], { home });
    assert.equal(set.code, 0, set.stderr);
  });

  it('before the pull: outdated, named by its tag', async () => {
    const entry = await check();
    assert.equal(entry.status, 'outdated', JSON.stringify(entry));
    assert.ok(entry.base?.ref.endsWith(base.baseRef.replace(/^[^/]+\//, '')), JSON.stringify(entry.base));
    oldDigest = entry.base?.digest ?? '';
    assert.match(oldDigest, /^sha256:/);
  });

  it('after `docker pull` moved the tag: still outdated against the same tag, not unknown', async () => {
    await docker(['pull', '-q', base.baseRef]);
    const tagged = (await docker(['image', 'inspect', '--format', '{{json .RepoTags}}', base.oldBaseId])).trim();
    assert.equal(tagged, '[]', 'the old base lost its tag to the pulled one');
    const entry = await check();
    assert.equal(entry.status, 'outdated', JSON.stringify(entry));
    assert.equal(entry.base?.digest, oldDigest);
    assert.equal(entry.base?.latest, base.newDigest);
    assert.ok(entry.base?.ref.endsWith(base.baseRef.replace(/^[^/]+\//, '')), JSON.stringify(entry.base));
    assert.match(entry.reason, /when basewatch last saw it/);
  });

  it('and `update` rebases it onto the pulled base', async () => {
    const result = await runBasewatch(['update', '--json', app], { home });
    assert.equal(result.code, 0, result.stderr);
    const actions = (JSON.parse(result.stdout) as { actions: Array<{ target: string; kind: string }> }).actions;
    assert.equal(actions.find((action) => action.target.endsWith(app))?.kind, 'rebased', result.stdout);
    assert.equal(await docker(['run', '--rm', app, 'cat', '/etc/patched']), 'yes\n');
  });

  it('a home with no earlier check cannot tell the tag, and says so', async () => {
    const result = await runBasewatch(['check', '--json', other], { home: await makeTempDir('pulled-fresh') });
    const entry = (JSON.parse(result.stdout) as { images: ImageEntry[] }).images.find((image) => image.tags.includes(other));
    assert.equal(entry?.status, 'unknown', JSON.stringify(entry));
    assert.match(entry?.reason ?? '', /no longer tagged locally/);
  });
});
