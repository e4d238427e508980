import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DockerfileSteps, dockerfileSteps, historyMatchesSteps, readHistoryEntry, suggestDockerfile } from './suggest-dockerfile.js';

const BASE = 'docker.io/library/python:3.12-slim';

const API = `FROM python:3.12-slim
ARG VER=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt && \\
    # pinned by the lock file
    echo $VER
COPY . /app
CMD ["python", "app.py"]
`;

const WORKER = `FROM python:3.12-slim
WORKDIR /app
COPY . /app
RUN pip install celery
CMD ["python", "worker.py"]
`;

// As the Engine 20.10 classic builder writes them (docker build with DOCKER_BUILDKIT=0).
const API_CLASSIC = [
  '/bin/sh -c #(nop)  ARG VER=1',
  '/bin/sh -c #(nop) WORKDIR /app',
  '/bin/sh -c #(nop) COPY file:0c1c0a3f3a5e8c4e0e07b3bd2d4ab3ad0ad1b0b3bb0bdfd62b49f5bf1a6bcf21 in . ',
  '|1 VER=1 /bin/sh -c pip install -r requirements.txt &&     echo $VER',
  '/bin/sh -c #(nop) COPY dir:b4b890b5e7f34777b7161f6992a092168e3648e0ba6931c3de4d5f8410d54b51 in /app ',
  '/bin/sh -c #(nop)  CMD ["python" "app.py"]',
];

// As BuildKit writes them.
const API_BUILDKIT = [
  'ARG VER=1',
  'WORKDIR /app',
  'COPY requirements.txt . # buildkit',
  'RUN |1 VER=1 /bin/sh -c pip install -r requirements.txt &&     echo $VER # buildkit',
  'COPY . /app # buildkit',
  'CMD ["python" "app.py"]',
];

function steps(path: string, text: string): DockerfileSteps {
  const found = dockerfileSteps(path, text);
  assert.ok(found, `no steps for ${path}`);
  return found;
}

const dockerfiles = [steps('/p/api/Dockerfile', API), steps('/p/worker/Dockerfile', WORKER)];

describe('dockerfileSteps', () => {
  it('lists the built stage instructions with the RUN command as the history records it', () => {
    const api = steps('/p/api/Dockerfile', API);
    assert.equal(api.baseRef, BASE);
    assert.deepEqual(
      api.steps.map((step) => step.keyword),
      ['ARG', 'WORKDIR', 'COPY', 'RUN', 'COPY', 'CMD'],
    );
    assert.equal(api.steps[3]?.command, '/bin/sh -c pip install -r requirements.txt &&     echo $VER');
    assert.equal(api.steps[2]?.destination, '.');
  });

  it('multi-stage: only the built stage and the stages it is built on; SHELL changes later RUNs', () => {
    const text = `FROM golang:1.22 AS build
RUN go build -o /out/app
FROM debian:12 AS runtime
SHELL ["/bin/bash", "-ec"]
RUN apt-get update
FROM runtime
COPY --from=build /out/app /usr/local/bin/app
RUN ["app", "--version"]
`;
    const found = steps('/p/Dockerfile', text);
    assert.equal(found.baseRef, 'docker.io/library/debian:12');
    assert.deepEqual(found.steps, [
      { keyword: 'SHELL', command: null, destination: null },
      { keyword: 'RUN', command: '/bin/bash -ec apt-get update', destination: null },
      { keyword: 'COPY', command: null, destination: '/usr/local/bin/app' },
      { keyword: 'RUN', command: 'app --version', destination: null },
    ]);
  });

  it('no image base: nothing to match', () => {
    assert.equal(dockerfileSteps('/p/Dockerfile', 'FROM scratch\nCOPY a /a\n'), null);
  });
});

describe('readHistoryEntry', () => {
  it('reads both builders', () => {
    assert.deepEqual(readHistoryEntry('/bin/sh -c #(nop)  CMD ["python" "app.py"]'), { keyword: 'CMD', body: '["python" "app.py"]' });
    assert.deepEqual(readHistoryEntry('/bin/sh -ec #(nop)  SHELL [/bin/sh -ec]'), { keyword: 'SHELL', body: '[/bin/sh -ec]' });
    assert.deepEqual(readHistoryEntry('/bin/sh -c pip install x'), { keyword: 'RUN', body: '/bin/sh -c pip install x' });
    assert.deepEqual(readHistoryEntry('RUN /bin/sh -c pip install x # buildkit'), { keyword: 'RUN', body: '/bin/sh -c pip install x' });
    assert.deepEqual(readHistoryEntry('ENV K=V'), { keyword: 'ENV', body: 'K=V' });
  });
});

describe('suggestDockerfile', () => {
  const input = (ownHistory: readonly string[]) => ({ baseRefs: [BASE], baseDigest: null, ownHistory });

  it('a classic-builder history picks its Dockerfile', () => {
    assert.equal(suggestDockerfile(input(API_CLASSIC), dockerfiles)?.path, '/p/api/Dockerfile');
  });

  it('a BuildKit history picks its Dockerfile', () => {
    assert.equal(suggestDockerfile(input(API_BUILDKIT), dockerfiles)?.path, '/p/api/Dockerfile');
    const worker = ['WORKDIR /app', 'COPY . /app # buildkit', 'RUN /bin/sh -c pip install celery # buildkit', 'CMD ["python" "worker.py"]'];
    assert.equal(suggestDockerfile(input(worker), dockerfiles)?.path, '/p/worker/Dockerfile');
  });

  it('a RUN whose text differs matches nothing', () => {
    const changed = API_CLASSIC.map((entry) => entry.replace('requirements.txt &&', 'requirements-dev.txt &&'));
    assert.equal(historyMatchesSteps(changed, steps('/p/api/Dockerfile', API).steps), false);
    assert.equal(suggestDockerfile(input(changed), dockerfiles), null);
  });

  it('a COPY to another destination matches nothing', () => {
    const moved = API_CLASSIC.map((entry) => entry.replace(' in /app ', ' in /srv '));
    assert.equal(suggestDockerfile(input(moved), dockerfiles), null);
  });

  it('another base matches nothing', () => {
    assert.equal(suggestDockerfile({ ...input(API_CLASSIC), baseRefs: ['docker.io/library/python:3.13-slim'] }, dockerfiles), null);
  });

  it('two Dockerfiles that both match: no suggestion', () => {
    const twin = steps('/p/api-copy/Dockerfile', API);
    assert.equal(suggestDockerfile(input(API_CLASSIC), [...dockerfiles, twin]), null);
  });

  it('an extra step in the image: no match', () => {
    assert.equal(suggestDockerfile(input([...API_CLASSIC, '/bin/sh -c #(nop)  EXPOSE 80']), dockerfiles), null);
  });
});
