import assert from 'node:assert/strict';
import { it } from 'node:test';
import { analyzeDockerfile } from '../../inventory/dockerfile/analyze-dockerfile.js';
import { mustParseImageRef } from '../../refs/image-ref.js';
import { repoDigestIn, repositoryName } from '../../refs/image-ref.js';
import { baseLabels, baseName, basesToPull, parseBuildStep } from './rebuild-plan.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;

it('pulls the final base first, each image once, only for the stages the classic builder runs', () => {
  const dockerfile = [
    'ARG BASE=python:3.12-slim',
    'FROM golang:1.22 AS build',
    'COPY --from=tools.example/lint:2 /lint /lint',
    'FROM ${BASE} AS app',
    'COPY --from=build /out /app',
    `COPY --from=alpine@${DIGEST} /etc/os-release /x`,
    'RUN --mount=from=cache.example/deps:1,target=/deps true',
    'FROM app AS test',
    'FROM node:22 AS docs',
    '',
  ].join('\n');
  const analysis = analyzeDockerfile(dockerfile, { buildArgs: { BASE: 'registry.example:5000/py:3' }, target: 'test' });
  const pulls = basesToPull(analysis);
  assert.deepEqual(
    pulls.map((p) => [p.ref, p.pullRef, p.final]),
    [
      ['registry.example:5000/py:3', 'registry.example:5000/py:3', true],
      ['docker.io/library/golang:1.22', 'docker.io/library/golang:1.22', false],
      ['tools.example/lint:2', 'tools.example/lint:2', false],
      [`docker.io/library/alpine@${DIGEST}`, `docker.io/library/alpine@${DIGEST}`, false],
    ],
  );
  assert.deepEqual(basesToPull(analyzeDockerfile('FROM scratch\nCOPY a /a\n')), []);
});

it('stamps the base tag and the digest it was pulled at', () => {
  assert.equal(baseName(mustParseImageRef(`python:3.12@${DIGEST}`)), 'docker.io/library/python:3.12');
  assert.equal(baseName(mustParseImageRef(`python@${DIGEST}`)), 'docker.io/library/python');
  assert.deepEqual(baseLabels({ name: 'docker.io/library/python:3.12', digest: DIGEST }), {
    'org.opencontainers.image.base.name': 'docker.io/library/python:3.12',
    'org.opencontainers.image.base.digest': DIGEST,
  });
  assert.deepEqual(baseLabels(null), {});
  // Empty, so the FROM image's own digest label is not inherited under this image's base name.
  assert.deepEqual(baseLabels({ name: 'docker.io/library/corp:1', digest: null }), {
    'org.opencontainers.image.base.name': 'docker.io/library/corp:1',
    'org.opencontainers.image.base.digest': '',
  });
});

it('finds the pulled digest among RepoDigests by repository', () => {
  const ref = mustParseImageRef('127.0.0.1:5000/base:1');
  assert.equal(repoDigestIn([`other@${DIGEST}`, `127.0.0.1:5000/base@${DIGEST}`], repositoryName(ref)), DIGEST);
  assert.equal(repoDigestIn([`python@${DIGEST}`], repositoryName(mustParseImageRef('python:3'))), DIGEST);
  assert.equal(repoDigestIn([], repositoryName(ref)), null);
});

it('reads the classic builder step lines', () => {
  assert.deepEqual(parseBuildStep('Step 3/7 : RUN apt-get update'), { step: 3, total: 7, text: 'RUN apt-get update' });
  assert.equal(parseBuildStep(' ---> Running in 0123'), null);
});
