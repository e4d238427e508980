import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type State, StateSchema } from '../record/state-store.js';
import { seenTagsFrom } from './seen-tags.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

function state(value: unknown): State {
  return StateSchema.parse(value);
}

describe('seenTagsFrom', () => {
  it('collects tag names for digests from image bases, Dockerfile local copies and registry answers', () => {
    const seen = seenTagsFrom({
      ...state({ version: 1, lastCheck: null, upstream: {}, registries: {} }),
      lastCheck: {
        at: 't',
        durationMs: 1,
        report: {
          images: [
            { base: { ref: 'docker.io/library/python:3.12-slim', digest: d('a') } },
            { base: { ref: 'docker.io/library/python@' + d('b'), digest: d('b') } },
            { base: null },
          ],
          dockerfiles: [{ bases: [{ ref: 'docker.io/library/debian:12', local: d('c') }, { ref: 'scratch', local: null }] }],
        },
      },
      upstream: {
        'docker.io/library/alpine:3.20 linux/amd64': { ref: 'docker.io/library/alpine:3.20', platform: 'linux/amd64', digest: d('e'), platformDigest: d('f'), configDigest: null, firstSeenAt: 't', checkedAt: 't' },
      },
    } as unknown as State);
    assert.deepEqual(Object.fromEntries(seen), {
      [`docker.io/library/python@${d('a')}`]: ['docker.io/library/python:3.12-slim'],
      [`docker.io/library/debian@${d('c')}`]: ['docker.io/library/debian:12'],
      [`docker.io/library/alpine@${d('e')}`]: ['docker.io/library/alpine:3.20'],
      [`docker.io/library/alpine@${d('f')}`]: ['docker.io/library/alpine:3.20'],
    });
  });

  it('keeps what each base image (by id) was seen as: Podman leaves it no name after a pull', () => {
    const seen = seenTagsFrom({
      ...state({ version: 1, lastCheck: null, upstream: {}, registries: {} }),
      lastCheck: {
        at: 't',
        durationMs: 1,
        report: {
          images: [
            { base: { ref: 'docker.io/library/python:3.12-slim', digest: d('a'), localId: d('1') } },
            { base: { ref: 'docker.io/library/python:3.12-slim', digest: null, localId: d('2') } },
          ],
          dockerfiles: [],
        },
      },
    } as unknown as State);
    assert.deepEqual(seen.get(d('1')), [`docker.io/library/python@${d('a')}`]);
    assert.equal(seen.get(d('2')), undefined, 'no digest, nothing to name it by');
  });
});
