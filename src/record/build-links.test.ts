import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BUILD_LINKS_FILE, readBuildLinks, saveBuildLink } from './build-links.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-links-'));
  dirs.push(dir);
  return dir;
}

describe('build links', () => {
  it('replaces the link of the same image and reports a broken file instead of throwing', async () => {
    const stateDir = await tempDir();
    const link = { image: 'docker.io/library/app:1', dockerfile: '/a/Dockerfile', context: '/a', target: null, buildArgs: {}, linkedAt: 't1' };
    await saveBuildLink(stateDir, link);
    await saveBuildLink(stateDir, { ...link, target: 'prod', linkedAt: 't2' });
    const read = await readBuildLinks(stateDir);
    assert.ok(read.ok);
    assert.deepEqual(read.links, [{ ...link, target: 'prod', linkedAt: 't2' }]);
    await fs.writeFile(path.join(stateDir, BUILD_LINKS_FILE), '{"version":1,"links":[{"image":3}]}');
    const broken = await readBuildLinks(stateDir);
    assert.equal(broken.ok, false);
    const saved = await saveBuildLink(stateDir, link);
    assert.equal(saved.ok, false);
  });
});
