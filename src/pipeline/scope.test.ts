import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { DockerfileReading } from '../inventory/read-projects.js';
import type { ImageLink } from '../link/link-images.js';
import { scopeDockerfiles, scopeImages } from './scope.js';

const link = (tag: string, dockerfile: string | null): ImageLink => ({ image: { id: `sha256:${tag}`, repoTags: [tag] }, source: dockerfile === null ? null : { dockerfile } }) as unknown as ImageLink;
const reading = (file: string, ...refs: string[]): DockerfileReading => ({ path: file, uses: refs.map((ref) => ({ ref })), errors: [], usedBy: [], text: null }) as unknown as DockerfileReading;

it('leaves out what ignore names: images, Dockerfiles only they are built from, ignored bases; counts each once', () => {
  const links = [link('app:1', '/p/app/Dockerfile'), link('scratch-test:1', '/p/test/Dockerfile'), link('scratch-shared:1', '/p/app/Dockerfile')];
  const images = scopeImages(links, ['scratch-*']);
  assert.deepEqual(images.kept.map((entry) => entry.image.repoTags[0]), ['app:1']);
  assert.deepEqual(images.ignored, [
    { kind: 'image', name: 'scratch-test:1', glob: 'scratch-*' },
    { kind: 'image', name: 'scratch-shared:1', glob: 'scratch-*' },
  ]);
  const ignoredLinks = links.filter((entry) => !images.kept.includes(entry));
  const files = scopeDockerfiles(
    [reading('/p/app/Dockerfile', 'docker.io/library/python:3.12', 'corp.example/dead/base:1'), reading('/p/test/Dockerfile', 'docker.io/library/busybox:1'), reading('/p/other/Dockerfile', 'corp.example/dead/base:1')],
    ['scratch-*', 'corp.example/dead/*'],
    ignoredLinks,
    images.kept,
  );
  // The app's Dockerfile stays (a kept image is built from it), without its ignored base.
  assert.deepEqual(files.kept.map((file) => [file.path, file.uses.map((use) => use.ref)]), [
    ['/p/app/Dockerfile', ['docker.io/library/python:3.12']],
    ['/p/other/Dockerfile', []],
  ]);
  assert.deepEqual(files.ignored.map((entry) => [entry.kind, entry.name]), [
    ['base', 'corp.example/dead/base:1'],
    ['dockerfile', '/p/test/Dockerfile'],
  ]);
  assert.deepEqual(scopeImages(links, []).ignored, [], 'no ignore setting: everything in scope');
});
