import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageDetails } from '../engine/docker-engine.js';
import { ImageFactsCache, ImageFactsShelf, LISTED_AT_RESOLUTION_MS } from './image-facts-cache.js';

function image(id: string): ImageDetails {
  return { id, configDigest: id, repoTags: [`${id}:1`], repoDigests: [], labels: {}, diffIds: ['sha256:l1'], os: 'linux', architecture: 'amd64', variant: null, created: '2026-01-01T00:00:00Z', parent: null };
}

test('names are not kept: only what the id fixes', () => {
  const cache = new ImageFactsCache('unix:///e.sock');
  cache.remember(image('sha256:a'), 1);
  const facts = cache.facts('sha256:a', 2);
  assert.ok(facts);
  assert.equal('repoTags' in facts, false);
  assert.equal(cache.facts('sha256:b', 2), undefined);
  assert.deepEqual([cache.hits, cache.misses], [1, 1]);
});

test('bounded: the images listed longest ago go first', () => {
  const cache = new ImageFactsCache('e');
  for (const [i, id] of ['sha256:a', 'sha256:b', 'sha256:c'].entries()) cache.remember(image(id), i);
  cache.facts('sha256:a', LISTED_AT_RESOLUTION_MS + 10);
  cache.bound(2);
  assert.equal(cache.size, 2);
  assert.equal(cache.facts('sha256:b', LISTED_AT_RESOLUTION_MS + 11), undefined);
  assert.ok(cache.facts('sha256:a', LISTED_AT_RESOLUTION_MS + 11));
});

test('listing a known image again within a day leaves nothing to save; a day later it does', () => {
  const cache = new ImageFactsCache('e');
  cache.remember(image('sha256:a'), 1000);
  cache.markSaved();
  assert.ok(cache.facts('sha256:a', 1000 + LISTED_AT_RESOLUTION_MS - 1));
  assert.equal(cache.dirty, false);
  assert.ok(cache.facts('sha256:a', 1000 + LISTED_AT_RESOLUTION_MS));
  assert.equal(cache.dirty, true);
});

test('a file round-trips; a broken one, or an entry filed under another id, is not trusted', () => {
  const cache = new ImageFactsCache('e');
  cache.remember(image('sha256:a'), 1);
  cache.rememberHistory('sha256:a', [{ createdBy: 'COPY x', created: 5 }]);
  const back = ImageFactsCache.parse(cache.toJson());
  assert.deepEqual(back?.history('sha256:a'), [{ createdBy: 'COPY x', created: 5 }]);
  assert.equal(ImageFactsCache.parse('{"version":1,'), null);
  assert.equal(ImageFactsCache.parse('{"version":2,"engine":"e","images":{}}'), null);
  const swapped = JSON.parse(cache.toJson()) as { images: Record<string, unknown> };
  swapped.images = { 'sha256:z': swapped.images['sha256:a'] };
  assert.equal(ImageFactsCache.parse(JSON.stringify(swapped))?.size, 0);
});

test('a guessed history is not kept; another engine starts a new cache', () => {
  const cache = new ImageFactsCache('e');
  cache.remember(image('sha256:a'), 1);
  cache.rememberSteps('sha256:a', [{ id: null, createdBy: 'RUN x', created: 1, size: 0, emptyLayer: true, emptyLayerBasis: 'guessed' }]);
  assert.equal(cache.steps('sha256:a'), null);
  const shelf = new ImageFactsShelf(cache);
  assert.equal(shelf.forEngine('e'), cache);
  assert.notEqual(shelf.forEngine('other'), cache);
  assert.equal(shelf.forEngine('other').size, 0);
});

test('every field of an entry is checked: one wrong field makes the file unreadable; unknown keys are dropped', () => {
  const cache = new ImageFactsCache('e');
  cache.remember(image('sha256:a'), 1);
  cache.rememberHistory('sha256:a', [{ createdBy: 'COPY x', created: 5 }]);
  cache.rememberSteps('sha256:a', [{ id: null, createdBy: 'COPY x', created: 5, size: 3, emptyLayer: false, emptyLayerBasis: 'exact' }]);
  const file = JSON.parse(cache.toJson()) as { images: Record<string, Record<string, unknown>> };
  const entry = file.images['sha256:a']!;
  const variants: Array<[string, (e: Record<string, unknown>) => void]> = [
    ['listedAt', (e) => (e.listedAt = '1')],
    ['facts.labels', (e) => ((e.facts as Record<string, unknown>).labels = { a: 1 })],
    ['facts.diffIds', (e) => ((e.facts as Record<string, unknown>).diffIds = 'sha256:l1')],
    ['facts.variant', (e) => delete (e.facts as Record<string, unknown>).variant],
    ['history', (e) => (e.history = [{ createdBy: 'COPY x' }])],
    ['steps', (e) => (e.steps = [{ id: null, createdBy: 'x', created: 1, size: 0, emptyLayer: true, emptyLayerBasis: 'maybe' }])],
  ];
  for (const [what, spoil] of variants) {
    const copy = structuredClone(file);
    spoil(copy.images['sha256:a']!);
    assert.equal(ImageFactsCache.parse(JSON.stringify(copy)), null, what);
  }
  const extra = structuredClone(file);
  Object.assign(extra.images['sha256:a']!, { unknown: 1 });
  (extra.images['sha256:a']!.facts as Record<string, unknown>).unknown = 2;
  const back = ImageFactsCache.parse(JSON.stringify(extra));
  assert.deepEqual(JSON.parse(back?.toJson() ?? 'null'), file);
  assert.deepEqual(back?.steps('sha256:a'), entry.steps);
});
