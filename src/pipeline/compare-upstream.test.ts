import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareResolvedKnown, compareWithUpstream } from './compare-upstream.js';

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const upstream = { digest: d(1), platformDigest: d(2), configDigest: d(3) };

describe('compareWithUpstream', () => {
  it('is current when the tag digest is the one it was built on (no GET needed)', () => {
    assert.equal(compareWithUpstream({ digest: d(1), configDigest: null }, upstream).status, 'current');
  });
  it('is current when a platform manifest digest was recorded and is unchanged', () => {
    assert.equal(compareWithUpstream({ digest: d(2), configDigest: null }, upstream).status, 'current');
  });
  it('is current when only other platforms changed: same config for this platform', () => {
    const result = compareWithUpstream({ digest: d(9), configDigest: d(3) }, upstream);
    assert.deepEqual(result, { status: 'current', reason: 'upstream changed other platforms only; this platform is unchanged' });
  });
  it('is outdated when this platform has a new image', () => {
    assert.equal(compareWithUpstream({ digest: d(9), configDigest: d(8) }, upstream).status, 'outdated');
    assert.equal(compareWithUpstream({ digest: null, configDigest: d(8) }, upstream).status, 'outdated');
  });
  it('asks for the known digest to be resolved when only a digest is known', () => {
    assert.equal(compareWithUpstream({ digest: d(9), configDigest: null }, upstream).status, 'need-known-digest');
    assert.equal(compareResolvedKnown(d(3), upstream).status, 'current');
    assert.equal(compareResolvedKnown(d(7), upstream).status, 'outdated');
  });
  it('cannot tell without digest or local image', () => {
    assert.equal(compareWithUpstream({ digest: null, configDigest: null }, upstream).status, 'unknown');
  });
});
