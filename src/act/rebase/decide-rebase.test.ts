import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LayerEntry, LayerScan } from '../../archive/layer-scan.js';
import { baseLayerCount, decideRebase, dryRunReport, type RebaseDecisionInput } from './decide-rebase.js';

const L = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;
const json = (value: object): Buffer => Buffer.from(JSON.stringify(value));
const step = (by: string) => ({ created: '2026-01-01T00:00:00Z', created_by: by });
const STATUS = 'var/lib/dpkg/status';

const dpkgStatus = (...packages: Array<[string, string]>): Buffer =>
  Buffer.from(packages.map(([name, version]) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n`).join('\n'));

function layer(n: number, files: Record<string, Buffer | null>): LayerScan {
  const entries = Object.entries(files).map(
    ([path, bytes]): LayerEntry => ({ path, type: 'file', mode: 0o644, size: bytes?.length ?? 0, linkname: null, whiteout: null }),
  );
  const captured = new Map(Object.entries(files).flatMap(([path, bytes]) => (bytes === null ? [] : [[path, bytes] as const])));
  return { diffId: L(n), size: 0, entries, captured };
}

const oldBase = { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/bin:/bin'] }, rootfs: { type: 'layers', diff_ids: [L(1)] }, history: [step('ADD rootfs')] };
const newBase = { ...oldBase, rootfs: { type: 'layers', diff_ids: [L(11), L(12)] }, history: [step('ADD rootfs v2'), step('RUN patch')] };
const app = { ...oldBase, config: { ...oldBase.config, Cmd: ['/app/run'] }, rootfs: { type: 'layers', diff_ids: [L(1), L(2)] }, history: [...oldBase.history, step('COPY . /app')] };
const baseLayer = layer(1, { 'bin/sh': null, [STATUS]: dpkgStatus(['openssl', '3.0.15-1'], ['zlib1g', '1.2.13']) });
const appLayer = layer(2, { 'app/run': null });

function input(overrides: { app?: object; newBase?: object; layers?: LayerScan[]; force?: boolean } = {}): RebaseDecisionInput {
  return {
    archive: { configBytes: json(overrides.app ?? app), layers: overrides.layers ?? [baseLayer, appLayer] },
    oldBase: { bytes: json(oldBase), configDigest: 'sha256:old' },
    newBase: { bytes: json(overrides.newBase ?? newBase), configDigest: 'sha256:new', digest: `sha256:${'d'.repeat(64)}` },
    newRef: 'registry.example/base:1',
    force: overrides.force ?? false,
  };
}

describe('decideRebase', () => {
  const dpkgWrite = layer(2, { 'app/run': null, [STATUS]: dpkgStatus(['openssl', '3.0.15-1'], ['curl', '8.0']) });
  const table: Array<{ name: string; input: RebaseDecisionInput; ok: boolean; reasons?: string[]; warnings: string[] }> = [
    { name: 'an app layer of its own files rebases', input: input(), ok: true, warnings: [] },
    {
      name: 'a config that cannot be rebased is refused, each reason saying to rebuild',
      input: input({ app: { ...app, rootfs: { type: 'layers', diff_ids: [L(9), L(2)] } } }),
      ok: false,
      reasons: ["the old base's layers are not the bottom of this image (they differ at layer 1): it was not built on that base: rebuild instead"],
      warnings: [],
    },
    {
      name: 'a reason that says to rebuild already is not said twice',
      input: input({ app: { ...app, config: { Env: ['PATH=/app/bin:/usr/bin:/bin'] } }, newBase: { ...newBase, config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'] } } }),
      ok: false,
      reasons: ['ENV PATH was built from a base value that the new base changes: rebuild instead'],
      warnings: [],
    },
    {
      name: 'app layers that install packages are refused',
      input: input({ layers: [baseLayer, dpkgWrite] }),
      ok: false,
      reasons: ['layer 2 writes /var/lib/dpkg/status (a package install): rebuild instead'],
      warnings: [],
    },
    {
      name: '--force rebases them anyway, with a warning',
      input: input({ layers: [baseLayer, dpkgWrite], force: true }),
      ok: true,
      warnings: ['--force: rebasing although layer 2 writes /var/lib/dpkg/status (a package install): rebuild instead'],
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const decision = decideRebase(row.input);
      assert.equal(decision.ok, row.ok);
      assert.deepEqual(decision.warnings, row.warnings);
      if (!decision.ok) assert.deepEqual(decision.reasons, row.reasons);
      else {
        assert.deepEqual(decision.config.diffIds, [L(11), L(12), L(2)]);
        assert.deepEqual(decision.baseLayers, [baseLayer]);
      }
    });
  }
});

describe('baseLayerCount', () => {
  const table: Array<[string, object, number]> = [
    ['the layers a config lists', oldBase, 1],
    ['none listed', { rootfs: { type: 'layers' } }, 0],
    ['no rootfs', {}, 0],
  ];
  for (const [name, config, count] of table) it(name, () => assert.equal(baseLayerCount(json(config)), count));
});

describe('dryRunReport', () => {
  it('says what the packages will be once the new base is local', () => {
    const report = dryRunReport([baseLayer], new Map([[STATUS, dpkgStatus(['openssl', '3.0.16-1'], ['zlib1g', '1.2.13'])]]));
    assert.deepEqual(report.warnings, []);
    assert.deepEqual(report.packages?.upgraded, [{ name: 'openssl', from: '3.0.15-1', to: '3.0.16-1' }]);
    assert.deepEqual([report.packages?.added, report.packages?.removed, report.packages?.downgraded], [[], [], []]);
  });

  it('says when it cannot tell yet', () => {
    assert.deepEqual(dryRunReport([baseLayer], null), { packages: null, warnings: ['package changes are known once the new base is pulled'] });
  });
});
