import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familiarImageRef, mustParseImageRef, normalizeImageRef, parseImageRef } from './image-ref.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('normalizeImageRef', () => {
  const table: Array<[string, string]> = [
    ['python', 'docker.io/library/python:latest'],
    ['python:3.12-slim', 'docker.io/library/python:3.12-slim'],
    ['library/python:3', 'docker.io/library/python:3'],
    ['docker.io/python', 'docker.io/library/python:latest'],
    ['index.docker.io/library/python:3', 'docker.io/library/python:3'],
    ['registry-1.docker.io/python:3', 'docker.io/library/python:3'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['ghcr.io/org/team/app:1.2', 'ghcr.io/org/team/app:1.2'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/base:1', 'localhost:5000/base:1'],
    ['127.0.0.1:5000/a/b', '127.0.0.1:5000/a/b:latest'],
    ['registry.corp:8443/base:2', 'registry.corp:8443/base:2'],
    [`python@${D}`, `docker.io/library/python@${D}`],
    [`python:3.12@${D}`, `docker.io/library/python:3.12@${D}`],
    ['[::1]:5000/app:v1', '[::1]:5000/app:v1'],
    ['my_org/my-app__x:v1.0-rc_1', 'docker.io/my_org/my-app__x:v1.0-rc_1'],
  ];
  for (const [input, expected] of table) {
    it(`${input} -> ${expected}`, () => assert.equal(normalizeImageRef(input), expected));
  }

  it('treats a first component without "." or ":" as a Docker Hub namespace', () => {
    assert.deepEqual(mustParseImageRef('corp/base:2'), {
      registry: 'docker.io',
      repository: 'corp/base',
      tag: '2',
      digest: null,
    });
  });
});

describe('parseImageRef rejects what docker rejects', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['Python:3', /lowercase/],
    ['python:3 slim', /whitespace/],
    ['python:-bad', /invalid tag/],
    ['python@sha256:abc', /sha256/],
    ['a//b', /path component/],
    ['-x.io/app', /registry host/],
    ['registry.io:port/app', /registry host/],
  ];
  for (const [input, message] of bad) {
    it(JSON.stringify(input), () => {
      const result = parseImageRef(input);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.error, message);
    });
  }
});

describe('familiarImageRef', () => {
  it('shortens Docker Hub official and user images', () => {
    assert.equal(familiarImageRef(mustParseImageRef('python')), 'python:latest');
    assert.equal(familiarImageRef(mustParseImageRef('bitnami/redis:7')), 'bitnami/redis:7');
    assert.equal(familiarImageRef(mustParseImageRef('ghcr.io/o/a:1')), 'ghcr.io/o/a:1');
  });
});
