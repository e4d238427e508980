import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageLink, LinkedBase } from '../link/link-images.js';
import type { ReportError } from '../report/check-report.js';
import { selectImages } from './run-check.js';

function link(id: string, tags: string[], base: Partial<LinkedBase> | null = null): ImageLink {
  return {
    image: { id, repoTags: tags, repoDigests: [], labels: {}, diffIds: [], os: 'linux', architecture: 'amd64', variant: null },
    base: base === null ? null : { ref: 'docker.io/library/python:3.12-slim', digest: null, via: 'layers', latest: null, localId: null, ...base },
    source: null,
    problem: null,
    broken: false,
    candidates: null,
    copySources: [],
  };
}

describe('selectImages', () => {
  const python = link('sha256:py2', ['python:3.12-slim']);
  const onOldPython = link('sha256:app1', ['app:1'], { localId: 'sha256:py1' });
  const onNewPython = link('sha256:app2', ['app:2'], { localId: 'sha256:py2' });
  const onDebian = link('sha256:app3', ['app:3'], { ref: 'docker.io/library/debian:12', localId: 'sha256:deb' });
  const all = [python, onOldPython, onNewPython, onDebian];
  const names = (links: readonly ImageLink[]) => links.map((entry) => entry.image.repoTags[0]);

  it('keeps every image when none is named', () => {
    assert.deepEqual(names(selectImages(all, [], [])), names(all));
  });

  it('keeps only the named images, and names the ones not found', () => {
    const errors: ReportError[] = [];
    assert.deepEqual(names(selectImages(all, ['app:3', 'gone:1'], errors)), ['app:3']);
    assert.deepEqual(errors.map((error) => error.where), ['gone:1']);
  });

  it('with dependents: adds the images built on a named one, by its id or by the name a pull moved', () => {
    assert.deepEqual(names(selectImages(all, ['python:3.12-slim'], [], true)), ['python:3.12-slim', 'app:1', 'app:2']);
    assert.deepEqual(names(selectImages(all, ['python:3.12-slim'], [], false)), ['python:3.12-slim']);
    assert.deepEqual(names(selectImages(all, ['app:1'], [], true)), ['app:1']);
  });

  it('matches a name however it is spelled: full reference, id or id prefix, podman\'s localhost/ name; in the links\' order', () => {
    const podman = link('sha256:0123456789abcdef0123', ['localhost/tool:2']);
    const many = [...all, podman];
    assert.deepEqual(names(selectImages(many, ['docker.io/library/app:2', 'sha256:app1'], [])), ['app:1', 'app:2']);
    assert.deepEqual(names(selectImages(many, ['0123456789abcdef', 'python:3.12-slim'], [])), ['python:3.12-slim', 'localhost/tool:2']);
    assert.deepEqual(names(selectImages(many, ['tool:2'], [])), ['localhost/tool:2']);
    const errors: ReportError[] = [];
    assert.deepEqual(names(selectImages(many, ['0123', 'app:3', 'app:3'], errors)), ['app:3']);
    assert.deepEqual(errors.map((error) => error.where), ['0123']);
  });
});
