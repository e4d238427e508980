import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oldBaseName } from './rebase-command.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('oldBaseName', () => {
  it('names the base by the tag it was built from, with its digest', () => {
    assert.equal(oldBaseName({ ref: 'docker.io/library/python:3.12-slim', digest: A }), 'python:3.12-slim@sha256:aaaaaaaaaaaa');
  });
  it('does not make up a :latest tag for a base known by digest only', () => {
    assert.equal(oldBaseName({ ref: `registry.example:5000/team/base@${A}`, digest: A }), 'registry.example:5000/team/base@sha256:aaaaaaaaaaaa');
    assert.equal(oldBaseName({ ref: `docker.io/library/debian@${A}`, digest: null }), 'debian@sha256:aaaaaaaaaaaa');
  });
  it('names a base known only by its image ID by that ID, not as a reference', () => {
    assert.equal(oldBaseName({ ref: A, digest: null }), 'sha256:aaaaaaaaaaaa');
    assert.equal(oldBaseName({ ref: A, digest: B }), 'sha256:aaaaaaaaaaaa (sha256:bbbbbbbbbbbb)');
  });
});
