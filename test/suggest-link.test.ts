// Images built with plain `docker build` in a watched project: `check` suggests the Dockerfile each
// came from (by its history), as the exact `basewatch link` command; it never links on a guess.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  buildImage,
  getWorld,
  makeBaseImage,
  makeTempDir,
  pushImage,
  runBasewatch,
  skipWithoutWorld,
  uniqueName,
  writeProject,
  writeTree,
} from './helpers/world.js';

interface ImageEntry {
  tags: string[];
  source: unknown;
  suggestedLink?: { dockerfile: string; context: string; shown: string; command: string };
}

describe('suggested Dockerfile for images built with plain docker build', { skip: skipWithoutWorld() }, () => {
  let root: string;
  let baseRef: string;
  let api: string;
  let worker: string;
  let stranger: string;

  before(async () => {
    baseRef = `${getWorld()!.registry}/${uniqueName('suggest-base')}:1`;
    await makeBaseImage({ ref: baseRef });
    await pushImage(baseRef);
    root = await makeTempDir('suggest-root');
    await writeTree(root, {
      'api/Dockerfile': `FROM ${baseRef}\nWORKDIR /app\nCOPY app.txt .\nRUN echo api > /app/kind && \\\n    echo done\nCMD ["cat", "/app/kind"]\n`,
      'api/app.txt': 'api\n',
      'worker/Dockerfile': `FROM ${baseRef}\nARG LEVEL=1\nCOPY . /srv\nRUN echo worker $LEVEL > /srv/kind\nCMD ["cat", "/srv/kind"]\n`,
      'worker/job.txt': 'job\n',
    });
    api = `${uniqueName('suggest-api')}:dev`;
    worker = `${uniqueName('suggest-worker')}:dev`;
    stranger = `${uniqueName('suggest-stranger')}:dev`;
    await buildImage({ context: `${root}/api`, tag: api });
    await buildImage({ context: `${root}/worker`, tag: worker });
    // Same base and the same kinds of steps as the worker, but another RUN: built from a file not under the root.
    const elsewhere = await writeProject({ Dockerfile: `FROM ${baseRef}\nARG LEVEL=1\nCOPY . /srv\nRUN echo other $LEVEL > /srv/kind\nCMD ["cat", "/srv/kind"]\n`, 'x.txt': 'x\n' });
    await buildImage({ context: elsewhere, tag: stranger });
  });

  it('check --json names the right Dockerfile for each image, and none for an image that matches neither', async () => {
    const result = await runBasewatch(['check', '--json', '--root', root, api, worker, stranger], { cwd: root });
    const report = JSON.parse(result.stdout) as { images: ImageEntry[] };
    const entry = (name: string): ImageEntry => {
      const found = report.images.find((image) => image.tags.includes(name));
      assert.ok(found, `no ${name} in ${result.stdout}`);
      return found;
    };
    assert.equal(entry(api).source, null, 'a suggestion is not a link');
    assert.deepEqual(entry(api).suggestedLink, {
      dockerfile: `${root}/api/Dockerfile`,
      context: `${root}/api`,
      shown: './api/Dockerfile',
      command: `basewatch link ${api} ./api/Dockerfile`,
    });
    assert.equal(entry(worker).suggestedLink?.dockerfile, `${root}/worker/Dockerfile`);
    assert.equal(entry(worker).suggestedLink?.command, `basewatch link ${worker} ./worker/Dockerfile`);
    assert.equal(entry(stranger).suggestedLink, undefined, JSON.stringify(entry(stranger)));
  });

  it('the human output prints the command on one line; a linked image gets no suggestion', async () => {
    const home = await makeTempDir('suggest-home');
    const text = await runBasewatch(['check', '--root', root, api, worker], { cwd: root, home });
    assert.match(text.stdout, new RegExp(`built from \\./api/Dockerfile\\? Link it:\\n +basewatch link ${api.replace(/[.:]/g, '\\$&')} \\./api/Dockerfile\\n`), text.stdout);
    const link = await runBasewatch(['link', api, `${root}/api/Dockerfile`], { cwd: root, home });
    assert.equal(link.code, 0, link.stderr);
    const after = await runBasewatch(['check', '--json', '--root', root, api], { cwd: root, home });
    const image = (JSON.parse(after.stdout) as { images: ImageEntry[] }).images.find((candidate) => candidate.tags.includes(api));
    assert.equal(image?.suggestedLink, undefined, after.stdout);
  });
});
