import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { TagMove } from '../act/tag-moves/history.js';
import { rollbackImages } from './prune-command.js';

it('ages rollback images from the move that left them, else from their creation; only keep tags count', () => {
  const now = new Date('2026-12-06T00:00:00Z');
  const day = 86_400;
  const images = [
    { id: 'sha256:aaa', repoTags: ['basewatch-rollback:aaaaaaaaaaaa'], repoDigests: [], created: now.getTime() / 1000 - 400 * day },
    { id: 'sha256:bbb', repoTags: ['basewatch-rollback:bbbbbbbbbbbb'], repoDigests: [], created: now.getTime() / 1000 - 400 * day },
    { id: 'sha256:ccc', repoTags: ['app:1'], repoDigests: [], created: 0 },
  ];
  const history: TagMove[] = [
    { kind: 'rebase', image: 'app:1', tags: ['app:1'], fromId: 'sha256:bbb', toId: 'sha256:ccc', keepTag: 'basewatch-rollback:bbbbbbbbbbbb', at: '2026-12-01T00:00:00Z', details: {} },
  ];
  const { prune, keep } = rollbackImages(images, history, now, 30 * day);
  // aaa: no move recorded, created 400 days ago; bbb: built long ago but kept 5 days ago.
  assert.deepEqual(prune.map((entry) => [entry.tag, entry.of]), [['basewatch-rollback:aaaaaaaaaaaa', null]]);
  assert.deepEqual(keep.map((entry) => [entry.tag, entry.of, entry.ageSeconds]), [['basewatch-rollback:bbbbbbbbbbbb', 'app:1', 5 * day]]);
  assert.equal(rollbackImages(images, history, now, 0).prune.length, 2);
});
