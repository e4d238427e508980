import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareResolvedKnown, compareWithUpstream } from './compare-upstream.js';

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const upstream = { digest: d(1), platformDigest: d(2), configDigest: d(3), platform: 'linux/amd64' };
/** A single-platform tag: its digest is this platform's manifest. */
const single = { digest: d(4), platformDigest: d(4), configDigest: d(3), platform: 'linux/amd64' };

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
  it('without a registry digest (a loaded or imported base), says it compared by config, not that anything changed upstream', () => {
    const how = '(compared by config; no registry digest is known for the local base)';
    for (const now of [upstream, single]) {
      assert.deepEqual(compareWithUpstream({ digest: null, configDigest: d(3) }, now), { status: 'current', reason: `matches upstream for linux/amd64 ${how}` });
      assert.deepEqual(compareWithUpstream({ digest: null, configDigest: d(8) }, now), { status: 'outdated', reason: `upstream has another image for linux/amd64 ${how}` });
    }
  });
  it('says "other platforms" only for an index; a single manifest that moved to the same image was republished', () => {
    assert.deepEqual(compareWithUpstream({ digest: d(9), configDigest: d(3) }, single), {
      status: 'current',
      reason: 'upstream republished the tag with the same image for linux/amd64',
    });
    assert.match(compareResolvedKnown(d(3), single).reason, /republished the tag with the same image/);
    assert.match(compareResolvedKnown(d(3), upstream).reason, /other platforms only/);
  });
  it('cannot tell without digest or local image', () => {
    assert.equal(compareWithUpstream({ digest: null, configDigest: null }, upstream).status, 'unknown');
  });
});
