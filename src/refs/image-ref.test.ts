import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familiarImageRef, mustParseImageRef, normalizeImageRef, parseImageRef, repoDigestIn, sameRepository, tagMatches } from './image-ref.js';

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

  it('round-trips: the short name parses back to the same repository', () => {
    for (const name of ['python:3', 'docker.io/library/library/rlfam:1', 'library/x/y:2', 'bitnami/redis:7', 'localhost:5000/library/a:1']) {
      const ref = mustParseImageRef(name);
      assert.equal(normalizeImageRef(familiarImageRef(ref)), normalizeImageRef(name), name);
    }
    assert.equal(familiarImageRef(mustParseImageRef('docker.io/library/library/rlfam:1')), 'library/library/rlfam:1');
  });
});

describe('one repository under several names', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it('takes localhost and 127.0.0.1 (same port) for one registry, Docker Hub aliases for one, a mirror for another', () => {
    const same: Array<[string, string]> = [
      ['localhost:5000/base', '127.0.0.1:5000/base'],
      ['LOCALHOST:5000/base:1', '127.0.0.1:5000/base:2'],
      ['docker.io/library/x', 'x'],
      ['index.docker.io/x', 'registry-1.docker.io/library/x'],
    ];
    for (const [a, b] of same) assert.ok(sameRepository(mustParseImageRef(a), mustParseImageRef(b)), `${a} = ${b}`);
    const other: Array<[string, string]> = [
      ['localhost:5000/base', '127.0.0.1:5001/base'],
      ['mirror.corp/library/x', 'x'],
      ['localhost:5000/base', 'localhost:5000/other'],
    ];
    for (const [a, b] of other) assert.ok(!sameRepository(mustParseImageRef(a), mustParseImageRef(b)), `${a} ≠ ${b}`);
  });

  it('finds a RepoDigest and matches a tag across the two loopback names', () => {
    assert.equal(repoDigestIn([`127.0.0.1:5000/base@${digest}`], 'localhost:5000/base'), digest);
    assert.equal(repoDigestIn([`127.0.0.1:5000/base@${digest}`], 'localhost:5001/base'), null);
    assert.ok(tagMatches('localhost:5000/base:1', '127.0.0.1:5000/base:1'));
    assert.ok(!tagMatches('localhost:5000/base:1', '127.0.0.1:5000/base:2'));
  });
});

describe('parseImageRef, asked again', () => {
  it('answers the same input with the same answer, which no caller can change', () => {
    const first = parseImageRef('python:3.12');
    assert.equal(parseImageRef('python:3.12'), first);
    assert.ok(first.ok);
    assert.throws(() => {
      (first.ref as { tag: string | null }).tag = 'changed';
    }, TypeError);
    assert.equal(normalizeImageRef('python:3.12'), 'docker.io/library/python:3.12');
    const bad = parseImageRef('Python:3');
    assert.equal(parseImageRef('Python:3'), bad);
    assert.equal(bad.ok, false);
  });
});
