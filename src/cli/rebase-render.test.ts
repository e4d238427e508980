import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unstartedRebase } from '../act/rebase/rebase-image.js';
import { oldBaseName, renderRebase } from './rebase-command.js';
import { createStyle } from './style.js';

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

describe('renderRebase of a refusal', () => {
  const plain = createStyle(false);
  const times = (text: string, word: string) => text.split(word).length - 1;
  it('gives the rebuild advice once when the reason already carries it (an unknown old base)', () => {
    const refused = { ...unstartedRebase('app:1', ['app:1 was built on base:1, but on which image of it is not known: moved; rebuild it from its Dockerfile instead: basewatch rebuild app:1 (./Dockerfile)']), status: 'refused' as const };
    const text = renderRebase(refused, plain, { source: { dockerfile: './Dockerfile' }, suggestedLink: null });
    assert.equal(times(text, 'basewatch rebuild app:1'), 1, text);
    assert.equal(times(text.toLowerCase(), 'rebuild it from its dockerfile instead'), 1, text);
  });
  it('adds the advice, and what --force does, to a seam refusal', () => {
    const refused = { ...unstartedRebase('app:1', ['layer 2 deletes /etc/motd, a file of the base: rebuild instead']), status: 'refused' as const };
    const text = renderRebase(refused, plain, { source: { dockerfile: './Dockerfile' }, suggestedLink: null });
    assert.equal(times(text, 'basewatch rebuild app:1 (./Dockerfile)'), 1, text);
    assert.match(text, /--force overrides only the seam check/);
  });
});

describe('renderRebase of a rebase', () => {
  it('points to the history for the package changes its summary leaves out', () => {
    const base = unstartedRebase('app:1', []);
    const packages = { summary: 'openssl 3.0.15-1 → 3.0.16-1; 2 more', upgraded: [], downgraded: [], added: [], removed: [] };
    const rebased = { ...base, status: 'rebased' as const, packages, tags: ['app:1'] };
    assert.match(renderRebase(rebased, createStyle(false)), /^ {2}packages {2}openssl 3\.0\.15-1 → 3\.0\.16-1; 2 more \(all of them: basewatch history app:1\)$/m);
    const one = { ...rebased, packages: { ...packages, summary: 'openssl 3.0.15-1 → 3.0.16-1' } };
    assert.doesNotMatch(renderRebase(one, createStyle(false)), /basewatch history/);
  });
});
