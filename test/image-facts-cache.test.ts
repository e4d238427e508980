// The image cache against the real engine: a second check asks the engine only about images it
// has not seen, yet always shows the names the engine has now (re-tagged, removed, rebuilt), and
// a cache file that cannot be read is set aside and rebuilt. Engine requests are counted by a
// forwarding socket in front of the engine's, the way a user would see them in `strace`.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { countingSocket, inspected } from './helpers/counting-socket.js';
import { buildImage, docker, getWorld, makeBaseImage, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

interface Report {
  images: Array<{ name: string; tags: string[]; id: string; status: string; base: { ref: string; via: string } | null }>;
  errors: Array<{ where: string; message: string }>;
}

const world = getWorld();
const unixEngine = world?.dockerHost.startsWith('unix://') ? world.dockerHost.slice('unix://'.length) : null;

describe('image cache (real engine)', { skip: skipWithoutWorld() || (unixEngine === null ? 'the test engine is not a unix socket' : false) }, () => {
  let counter: Awaited<ReturnType<typeof countingSocket>>;
  let home = '';
  let project = '';
  let baseRef = '';
  let tag = '';

  async function check(): Promise<{ report: Report; asked: Set<string>; stderr: string }> {
    counter.requests.length = 0;
    const result = await runBasewatch(['check', '--offline', '--json', '--root', project], { home, env: { DOCKER_HOST: `unix://${counter.path}` } });
    assert.equal(result.code, 0, result.stderr);
    return { report: JSON.parse(result.stdout) as Report, asked: inspected(counter.requests), stderr: result.stderr };
  }

  function byTag(report: Report, name: string): Report['images'][number] | undefined {
    return report.images.find((image) => image.tags.includes(name));
  }

  before(async () => {
    const dir = await makeTempDir('facts');
    counter = await countingSocket(unixEngine ?? '', dir);
    home = path.join(dir, 'home');
    baseRef = `${world?.registry}/${uniqueName('factsbase')}:1`;
    await makeBaseImage({ ref: baseRef });
    project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'one\n' });
    tag = `${uniqueName('facts')}:1`;
    await buildImage({ context: project, tag });
  });

  after(async () => {
    await counter?.close();
  });

  it('asks the engine about an image once; the next check lists and inspects only what is new', async () => {
    const first = await check();
    const image = byTag(first.report, tag);
    assert.equal(image?.base?.ref, baseRef);
    assert.ok(first.asked.has(image?.id ?? ''), 'the first check inspects the image');
    const cached = JSON.parse(await fs.readFile(path.join(home, 'state', 'image-facts.json'), 'utf8')) as { images: Record<string, unknown> };
    assert.ok(image !== undefined && image.id in cached.images, 'the image is in the cache file');

    const file = path.join(home, 'state', 'image-facts.json');
    const written = (await fs.stat(file)).ino;
    const second = await check();
    // Nothing learned, nothing written (the file is replaced whole when it is): a warm check of
    // hundreds of images does not rewrite its cache. Other runs share the engine and may add an
    // image meanwhile, which must then be saved.
    const rewritten = (await fs.stat(file)).ino !== written;
    assert.equal(rewritten, second.asked.size > 0, `inspected: ${[...second.asked].join(', ') || 'none'}`);
    const seenBefore = new Set(first.report.images.map((entry) => entry.id));
    const askedAgain = [...second.asked].filter((id) => seenBefore.has(id));
    assert.deepEqual(askedAgain, [], `images the first check saw are not inspected again:\n${counter.requests.join('\n')}`);
    assert.equal(counter.requests.filter((line) => /^GET (\/v[\d.]+)?\/images\/json[? ]/.test(line)).length, 1, 'the list is asked for once');
    assert.deepEqual(byTag(second.report, tag), image);
  });

  it('a re-tagged image shows its new name from the cache, and a removed one is gone', async () => {
    const id = byTag((await check()).report, tag)?.id ?? '';
    const other = `${uniqueName('facts-retag')}:2`;
    await docker(['tag', tag, other]);
    const retagged = await check();
    assert.ok(!retagged.asked.has(id), 'the image is not inspected again for a new name');
    assert.deepEqual(byTag(retagged.report, other)?.tags.sort(), [tag, other].sort());
    assert.equal(byTag(retagged.report, other)?.base?.ref, baseRef);

    await docker(['rmi', other]);
    const removed = await check();
    assert.equal(byTag(removed.report, other), undefined);
    assert.deepEqual(byTag(removed.report, tag)?.tags, [tag]);
  });

  it('a rebuilt image (same tag, new id) is inspected and linked; the old id is not reported under the tag', async () => {
    const oldId = byTag((await check()).report, tag)?.id ?? '';
    await fs.writeFile(path.join(project, 'app.txt'), 'two\n');
    const newId = await buildImage({ context: project, tag });
    assert.notEqual(newId, oldId);
    const rebuilt = await check();
    const image = byTag(rebuilt.report, tag);
    assert.equal(image?.id, newId);
    assert.equal(image?.base?.ref, baseRef);
    assert.equal(image?.base?.via, 'layers');
    assert.ok(rebuilt.asked.has(newId), 'the new image is inspected');
  });

  it('a corrupt cache file is set aside with a warning and rebuilt; the report is unchanged', async () => {
    const before = await check();
    const stateDir = path.join(home, 'state');
    const file = path.join(stateDir, 'image-facts.json');
    await fs.writeFile(file, '{"version":1,"engine":"x","images":{"sha256:1":{"facts":');
    const healed = await check();
    assert.match(healed.stderr, /image cache .* could not be read; set aside as image-facts\.json\.corrupt-/);
    assert.deepEqual(byTag(healed.report, tag), byTag(before.report, tag));
    const names = await fs.readdir(stateDir);
    assert.ok(names.some((name) => name.startsWith('image-facts.json.corrupt-')), names.join(', '));
    const rebuilt = JSON.parse(await fs.readFile(file, 'utf8')) as { images: Record<string, unknown> };
    assert.ok((byTag(healed.report, tag)?.id ?? '') in rebuilt.images);
    // And the next check trusts it again: no warning, nothing seen re-inspected.
    const next = await check();
    assert.equal(next.stderr, '');
    assert.ok(!next.asked.has(byTag(next.report, tag)?.id ?? ''));
  });
});
