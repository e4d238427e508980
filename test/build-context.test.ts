// The build context basewatch packs against the one the docker CLI packs (classic builder):
// the same .dockerignore must leave the same files in the image.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { listContextEntries, parseIgnoreRules } from '../src/engine/build-context.js';
import { createEngineClient } from '../src/engine/docker-engine.js';
import { readTarFiles } from '../src/engine/tar-files.js';
import { recordCreatedImage } from './helpers/temp.js';
import { buildImage, docker, getWorld, makeTempDir, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

/** The files a `COPY . /ctx/` put into the image, relative to /ctx, sorted. */
async function copiedFiles(image: string): Promise<string[]> {
  const container = (await docker(['create', image, '/none'])).trim();
  try {
    const tar = join(await makeTempDir('export'), 'fs.tar');
    await docker(['export', '-o', tar, container]);
    const files = await readTarFiles(createReadStream(tar));
    return [...files.keys()].filter((name) => name.startsWith('ctx/')).map((name) => name.slice('ctx/'.length)).sort();
  } finally {
    await docker(['rm', container]);
  }
}

describe('build context against the docker CLI', { skip: skipWithoutWorld() }, () => {
  let dockerHost = '';
  before(() => {
    dockerHost = getWorld()?.dockerHost ?? '';
  });

  it('leaves the same files out as docker build: backslash escapes, regex characters, exceptions', async () => {
    const ignore = [
      '# comment',
      'a\\*b',
      'a\\?b',
      '\\[x\\]',
      '\\#notes',
      '\\!keep',
      'a+b',
      'c{1,2}',
      'file\\d',
      'node_modules',
      '!**/important',
      'docs',
      '!docs/keep.md',
      '',
    ].join('\n');
    const names = ['a*b', 'axb', 'a?b', 'a+b', 'aab', 'c{1,2}', 'cc', '[x]', 'x', '#notes', '!keep', 'file7', 'filed', 'keep.txt'];
    const project = await writeProject({
      '.dockerignore': ignore,
      Dockerfile: 'FROM scratch\nCOPY . /ctx/\n',
      ...Object.fromEntries(names.map((name) => [name, `${name}\n`])),
      'node_modules/m/important': 'i\n',
      'node_modules/m/other': 'o\n',
      'docs/keep.md': 'k\n',
      'docs/drop.md': 'd\n',
    });
    const expected = ['.dockerignore', 'Dockerfile', 'aab', 'axb', 'cc', 'docs/keep.md', 'filed', 'keep.txt', 'x'];

    const byCli = `${uniqueName('ctx-cli')}:1`;
    await buildImage({ context: project, tag: byCli });
    assert.deepEqual(await copiedFiles(byCli), expected, 'what docker build sends (the expectation is right)');

    assert.deepEqual(await listContextEntries(project, parseIgnoreRules(ignore)), expected, 'what basewatch lists');

    const byBasewatch = `${uniqueName('ctx-bw')}:1`;
    recordCreatedImage(byBasewatch);
    const engine = createEngineClient({ host: dockerHost, source: 'test', tls: null });
    await engine.buildImage({ dir: project, dockerfile: 'Dockerfile' }, { buildArgs: {}, target: null, labels: {}, pull: false, tags: [byBasewatch] });
    assert.deepEqual(await copiedFiles(byBasewatch), expected, 'what basewatch sends');
  });
});
