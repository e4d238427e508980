import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestNames, didYouMean, editDistance } from './closest-names.js';

describe('editDistance', () => {
  it('counts inserts, deletes and substitutions', () => {
    assert.equal(editDistance('', ''), 0);
    assert.equal(editDistance('app:1', 'app:1'), 0);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('app:1', 'apq:1'), 1);
    assert.equal(editDistance('app:1', 'ap:1'), 1);
    assert.equal(editDistance('flaw', 'lawn'), 2);
  });
});

describe('closestNames', () => {
  const local = ['app:1', 'app:dev', 'api:1', 'python:3.12-slim', 'postgres:16', 'nosuch:2'];
  it('offers the close names, closest first', () => {
    assert.deepEqual(closestNames('app:2', local), ['app:1', 'api:1']);
    assert.deepEqual(closestNames('nosuchx:1', local).slice(0, 1), ['nosuch:2']);
    assert.deepEqual(closestNames('pyhton:3.12-slim', local), ['python:3.12-slim']);
  });
  it('offers nothing for a name far from every known one, and never the name itself', () => {
    assert.deepEqual(closestNames('zzzzzzzzzz:9', local), []);
    assert.deepEqual(closestNames('app:1', ['app:1']), []);
  });
  it('counts a name that contains the typed one as close', () => {
    assert.deepEqual(closestNames('postgres', local), ['postgres:16']);
  });
});

describe('didYouMean', () => {
  it('reads as the tail of a sentence', () => {
    assert.equal(didYouMean('app:2', ['app:1']), '; did you mean app:1?');
    assert.equal(didYouMean('app:2', ['app:1', 'app:3']), '; did you mean app:1 or app:3?');
    assert.equal(didYouMean('app:2', ['zzzzzzzzzz']), '');
  });
});
