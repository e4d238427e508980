import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryLayerInput } from './history-layers.js';
import { inferEmptyLayers, isMetadataOnly } from './history-layers.js';

const step = (createdBy: string, size: number, layerCount: number | null = null): HistoryLayerInput => ({ createdBy, size, layerCount });
const empties = (entries: HistoryLayerInput[], total: number) => inferEmptyLayers(entries, total).map((r) => `${r.emptyLayer ? 'empty' : 'layer'}/${r.basis}`);

describe('isMetadataOnly', () => {
  const table: Array<[string, boolean]> = [
    ['/bin/sh -c #(nop)  ENV A=1', true],
    ['/bin/sh -c #(nop)  CMD ["sh"]', true],
    ['LABEL a=b', true],
    ['ENTRYPOINT ["x"]', true],
    ['/bin/sh -c #(nop) COPY file:abc in /f ', false],
    ['/bin/sh -c #(nop) WORKDIR /app', false],
    ['/bin/sh -c mkdir /data', false],
    ['RUN /bin/sh -c ENV=1 true # buildkit', false],
    ['', false],
  ];
  for (const [createdBy, expected] of table) it(`${JSON.stringify(createdBy)} -> ${expected}`, () => assert.equal(isMetadataOnly(createdBy), expected));
});

describe('inferEmptyLayers', () => {
  it('settles zero-size layers by the diff_id count (checked against docker save on Engine 20.10)', () => {
    // docker build (classic) of: FROM base / RUN mkdir /data / RUN echo hi / ENV A=1 / WORKDIR /app / RUN rm -rf /data / COPY f /f
    // The config says: layer, layer, empty, empty, layer, layer, layer (5 diff_ids).
    const entries = [
      step('', 1_982_374, 1),
      step('/bin/sh -c mkdir /data', 0, 2),
      step('/bin/sh -c echo hi', 0, 2),
      step('/bin/sh -c #(nop)  ENV A=1', 0, 2),
      step('/bin/sh -c #(nop) WORKDIR /app', 0, 3),
      step('/bin/sh -c rm -rf /data', 0, 4),
      step('/bin/sh -c #(nop) COPY file:fa1b in /f ', 2, 5),
    ];
    assert.deepEqual(empties(entries, 5), ['layer/exact', 'layer/exact', 'empty/exact', 'empty/exact', 'layer/exact', 'layer/exact', 'layer/exact']);
    // Without the per-step counts the same history is ambiguous, and says so.
    const guessed = inferEmptyLayers(entries.map((e) => ({ ...e, layerCount: null })), 5);
    assert.ok(guessed.some((r) => r.basis === 'guessed'));
    assert.equal(guessed.filter((r) => !r.emptyLayer).length, 5);
  });

  it('is exact when sized entries account for every layer', () => {
    assert.deepEqual(empties([step('', 100), step('/bin/sh -c echo', 0), step('COPY x /x # buildkit', 5)], 2), ['layer/exact', 'empty/exact', 'layer/exact']);
  });

  it('is exact when the zero-size non-metadata entries are exactly the missing layers', () => {
    assert.deepEqual(empties([step('', 100), step('WORKDIR /app', 0), step('ENV A=1', 0)], 2), ['layer/exact', 'layer/exact', 'empty/exact']);
  });

  it('handles an image without history or layers', () => {
    assert.deepEqual(inferEmptyLayers([], 0), []);
    assert.deepEqual(empties([step('/bin/sh -c #(nop)  CMD ["x"]', 0)], 0), ['empty/exact']);
  });
});
