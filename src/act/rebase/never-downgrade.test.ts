import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downgradeReason } from './never-downgrade.js';

const config = (created: string | undefined, diffIds: string[]): Buffer => Buffer.from(JSON.stringify({ ...(created ? { created } : {}), rootfs: { type: 'layers', diff_ids: diffIds } }));

describe('downgradeReason', () => {
  const cases: Array<[string, Buffer, Buffer, RegExp | null]> = [
    ['registry copy newer, not built on the local one (a patched upstream)', config('2026-01-01T00:00:00Z', ['a']), config('2026-02-01T00:00:00Z', ['b']), null],
    ['local newer and not an ancestor (built here, not pushed)', config('2026-03-01T00:00:00Z', ['a', 'c']), config('2026-02-01T00:00:00Z', ['a', 'b']), /the local corp\/base:1 \(created 2026-03-01T00:00:00Z\) is newer than the registry's copy \(created 2026-02-01T00:00:00Z\).*push corp\/base:1 first/],
    ['local newer but the registry image builds on it (its layers start with the local ones)', config('2026-03-01T00:00:00Z', ['a']), config('2026-02-01T00:00:00Z', ['a', 'b']), null],
    ['same time', config('2026-02-01T00:00:00Z', ['a']), config('2026-02-01T00:00:00Z', ['b']), null],
    ['no created time: nothing proves a downgrade', config(undefined, ['a']), config('2026-02-01T00:00:00Z', ['b']), null],
    ['unreadable config', Buffer.from('not json'), config('2026-02-01T00:00:00Z', ['b']), null],
  ];
  for (const [name, local, upstream, expected] of cases) {
    it(name, () => {
      const reason = downgradeReason('corp/base:1', local, upstream);
      if (expected === null) assert.equal(reason, null);
      else assert.match(reason ?? '', expected);
    });
  }
});
