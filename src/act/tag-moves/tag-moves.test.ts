import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { EngineClient } from '../../engine/docker-engine.js';
import { type TagMove, readHistory } from './history.js';
import { JOURNAL_FILE, describeLeftTags, moveTags } from './move-tags.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});
async function stateDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tag-moves-'));
  dirs.push(dir);
  return path.join(dir, 'state');
}

/** Just the tag calls of an engine: tag -> image id, and the calls made, in order. */
function fakeEngine(tags: Record<string, string>, onTag?: (tag: string) => void) {
  const calls: string[] = [];
  const engine = {
    async inspectImage(ref: string) {
      const id = ref.startsWith('sha256:') ? ref : tags[ref];
      if (id === undefined) return null;
      return { id, repoTags: Object.keys(tags).filter((tag) => tags[tag] === id) };
    },
    async tagImage(source: string, ref: string) {
      onTag?.(ref);
      calls.push(`${ref} -> ${source}`);
      tags[ref] = source;
    },
  } as unknown as EngineClient;
  return { engine, calls, tags };
}

function move(tags: string[]): TagMove {
  return { kind: 'rebase', image: tags[0]!, tags, fromId: 'sha256:old', toId: 'sha256:new', keepTag: 'basewatch-rollback:old', at: '2025-01-01T00:00:00.000Z', details: {} };
}

describe('moveTags', () => {
  it('moves only the tags still on the image the operation started from, and records only those', async () => {
    const dir = await stateDir();
    const { engine, tags } = fakeEngine({ 'app:1': 'sha256:old', 'app:dev': 'sha256:users-build', 'app:latest': 'sha256:old' });
    const result = await moveTags(engine, dir, move(['app:1', 'app:dev', 'app:latest', 'app:gone']));
    assert.deepEqual(result, {
      moved: ['app:1', 'app:latest'],
      alreadyThere: [],
      left: [{ tag: 'app:dev', nowId: 'sha256:users-build' }, { tag: 'app:gone', nowId: null }],
    });
    assert.equal(tags['app:dev'], 'sha256:users-build');
    assert.equal(tags['app:gone'], undefined, 'a removed tag is not made again');
    assert.equal(tags['basewatch-rollback:old'], 'sha256:old');
    assert.deepEqual((await readHistory(dir)).map((entry) => entry.tags), [['app:1', 'app:latest']]);
    await assert.rejects(fs.access(path.join(dir, JOURNAL_FILE)));
    assert.deepEqual(describeLeftTags('rebase', result.left), [
      'app:dev was re-pointed to sha256:users-build while rebasing; left it there',
      'app:gone was removed while rebasing; left it out',
    ]);
  });

  it('changes nothing when no tag is on that image any more: no keep tag, journal or history', async () => {
    const dir = await stateDir();
    const { engine, calls } = fakeEngine({ 'app:1': 'sha256:new', 'app:dev': 'sha256:users-build' });
    const result = await moveTags(engine, dir, move(['app:1', 'app:dev']));
    assert.deepEqual(result, { moved: [], alreadyThere: ['app:1'], left: [{ tag: 'app:dev', nowId: 'sha256:users-build' }] });
    assert.deepEqual(calls, []);
    assert.deepEqual(await readHistory(dir), []);
  });

  it('checks each tag again right before its move', async () => {
    const dir = await stateDir();
    const state = fakeEngine({ 'app:1': 'sha256:old', 'app:2': 'sha256:old' }, (tag) => {
      // While app:1 moves, someone builds app:2 anew.
      if (tag === 'app:1') state.tags['app:2'] = 'sha256:users-build';
    });
    const result = await moveTags(state.engine, dir, move(['app:1', 'app:2']));
    assert.deepEqual(result, { moved: ['app:1'], alreadyThere: [], left: [{ tag: 'app:2', nowId: 'sha256:users-build' }] });
    assert.equal(state.tags['app:2'], 'sha256:users-build');
  });
});
