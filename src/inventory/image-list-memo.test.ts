import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ImageListMemo } from './image-list-memo.js';
import type { LocalImages } from './read-images.js';

const listing = (name: string): LocalImages => ({ images: [{ id: name } as never], histories: new Map() });

it('an edit reuses the last list until an image event, a dropped event stream, another engine or other nameless ids', async () => {
  const memo = new ImageListMemo();
  let reads = 0;
  const read = async (): Promise<LocalImages> => listing(`list-${++reads}`);
  const none = new Set<string>();
  // Not following events yet: nothing says a list stays current.
  await memo.fresh('e', none, read);
  assert.equal((await memo.current('e', none, read)).images[0]?.id, 'list-2');
  memo.following(true);
  await memo.fresh('e', none, read);
  assert.equal((await memo.current('e', none, read)).images[0]?.id, 'list-3', 'reused');
  assert.equal((await memo.current('e', none, read)).images[0]?.id, 'list-3', 'reused again');
  memo.changed();
  assert.equal((await memo.current('e', none, read)).images[0]?.id, 'list-4', 'an event: listed again, and kept');
  assert.equal((await memo.current('e', none, read)).images[0]?.id, 'list-4');
  assert.equal((await memo.current('other', none, read)).images[0]?.id, 'list-5', 'another engine');
  assert.equal((await memo.current('other', new Set(['sha256:x']), read)).images[0]?.id, 'list-6', 'other nameless ids to read');
  memo.following(false);
  memo.following(true);
  assert.equal((await memo.current('other', new Set(['sha256:x']), read)).images[0]?.id, 'list-7', 'the stream dropped meanwhile');
  assert.equal(memo.reuses, 3);
});

it('a list read while an event arrived is not kept', async () => {
  const memo = new ImageListMemo();
  memo.following(true);
  let reads = 0;
  const none = new Set<string>();
  await memo.fresh('e', none, async () => {
    memo.changed();
    return listing(`list-${++reads}`);
  });
  assert.equal((await memo.current('e', none, async () => listing(`list-${++reads}`))).images[0]?.id, 'list-2');
});
