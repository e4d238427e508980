import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mustParseImageRef } from '../../refs/image-ref.js';
import { eolFindings, eolFor } from './eol-for.js';
import { type EolTable, EolTableSchema, shippedEolTable } from './eol-table.js';
import { type FetchLike, mergeApiCycles, refreshEolTable } from './refresh-eol.js';

const NOW = new Date('2026-11-22T12:00:00Z');

/** A fixture table, so these tests do not change when data/eol.json is refreshed. */
const FIXTURE: EolTable = EolTableSchema.parse({
  version: 1,
  asOf: '2026-11-01',
  source: 'test fixture',
  products: {
    python: {
      label: 'Python',
      images: ['python', 'registry.lan:5000/base/python'],
      api: 'python',
      cycles: [
        { cycle: '3.8', eol: '2024-10-07' },
        { cycle: '3.10', eol: '2026-12-31' },
        { cycle: '3.12', eol: '2028-10-31' },
        { cycle: '3.13', eol: '2029-10-31' },
      ],
    },
    node: {
      label: 'Node.js',
      images: ['node'],
      api: 'nodejs',
      cycles: [
        { cycle: '18', eol: '2025-04-30', lts: true, codename: 'hydrogen' },
        { cycle: '22', eol: '2027-04-30', lts: true, codename: 'jod' },
        { cycle: '23', eol: '2027-06-01' },
      ],
    },
    debian: {
      label: 'Debian',
      images: ['debian'],
      api: 'debian',
      apiEolField: 'extendedSupport',
      cycles: [
        { cycle: '11', eol: '2026-08-31', codename: 'bullseye' },
        { cycle: '12', eol: '2028-06-30', codename: 'bookworm' },
      ],
    },
    ubuntu: { label: 'Ubuntu', images: ['ubuntu'], api: 'ubuntu', cycles: [{ cycle: '22.04', eol: '2027-04-01', lts: true, codename: 'jammy' }] },
    alpine: { label: 'Alpine Linux', images: ['alpine'], api: 'alpine', cycles: [{ cycle: '3.20', eol: '2026-04-01' }, { cycle: '3.22', eol: '2027-05-01' }] },
    openjdk: { label: 'openjdk image', images: ['openjdk'], api: null, cycles: [{ cycle: '17', eol: '2022-08-01', successor: 'eclipse-temurin:17' }] },
  },
});

describe('eolFor', () => {
  const table: Array<[string, Array<[string, string, string, string | null]>]> = [
    ['python:3.8-slim', [['python', '3.8', 'past', '3.13']]],
    ['python:3.10.15-slim-bookworm', [['python', '3.10', 'soon', '3.13'], ['debian', '12', 'ok', null]]],
    ['registry.lan:5000/base/python:3.12', [['python', '3.12', 'ok', '3.13']]],
    ['node:18-alpine3.20', [['node', '18', 'past', '22'], ['alpine', '3.20', 'past', '3.22']]],
    ['node:hydrogen-bullseye', [['node', '18', 'past', '22'], ['debian', '11', 'past', '12']]],
    ['debian:bullseye-slim', [['debian', '11', 'past', '12']]],
    ['debian:12.7', [['debian', '12', 'ok', null]]],
    ['ubuntu:22.04', [['ubuntu', '22.04', 'ok', null]]],
    ['openjdk:17-jdk-slim', [['openjdk', '17', 'past', 'eclipse-temurin:17']]],
    ['python:latest', []],
    ['python:3', []],
    ['myapp:1.0-bookworm', [['debian', '12', 'ok', null]]],
  ];
  for (const [image, expected] of table) {
    it(`${image} → ${expected.map(([p, c, s]) => `${p} ${c} ${s}`).join(', ') || 'nothing'}`, () => {
      const findings = eolFindings(mustParseImageRef(image), NOW, FIXTURE);
      assert.deepEqual(findings.map((f) => [f.product, f.cycle, f.status, f.successor]), expected);
    });
  }

  it('flags a fixture base past end of life, with its successor, in words', () => {
    const finding = eolFor(mustParseImageRef('python:3.8-slim'), NOW, FIXTURE);
    assert.deepEqual(finding, {
      product: 'python',
      label: 'Python',
      cycle: '3.8',
      eol: '2024-10-07',
      status: 'past',
      successor: '3.13',
      via: 'image',
      message: 'Python 3.8 reached end of life on 2024-10-07; move to Python 3.13',
    });
    // The most pressing finding wins: the OS when the language is fine.
    assert.equal(eolFor(mustParseImageRef('python:3.12-bullseye'), NOW, FIXTURE)?.product, 'debian');
    assert.equal(eolFor(mustParseImageRef('scratchy:1'), NOW, FIXTURE), null);
  });

  it('ships a valid, dated table that knows the common bases', () => {
    const shipped = shippedEolTable();
    assert.match(shipped.asOf, /^\d{4}-\d{2}-\d{2}$/);
    for (const product of ['python', 'node', 'debian', 'ubuntu', 'alpine', 'golang', 'eclipse-temurin', 'openjdk', 'ruby', 'php', 'postgres', 'nginx']) {
      assert.ok((shipped.products[product]?.cycles.length ?? 0) > 0, product);
    }
    assert.equal(eolFor(mustParseImageRef('python:3.8-slim'), NOW)?.status, 'past');
    assert.equal(eolFor(mustParseImageRef('postgres:16-alpine3.22'), new Date('2026-01-01T00:00:00Z'))?.status, 'ok');
  });
});

describe('refreshEolTable', () => {
  it('merges endoflife.date answers, keeping what the API does not know', () => {
    const debian = FIXTURE.products.debian;
    assert.ok(debian);
    const cycles = mergeApiCycles(
      debian,
      [
        { cycle: '13', eol: '2028-08-09', extendedSupport: '2030-06-30', codename: 'Trixie' },
        { cycle: '12', eol: '2026-06-10', extendedSupport: '2028-06-30', codename: 'Bookworm' },
        { cycle: 'sid', eol: false },
      ],
      '2026-11-22',
    );
    assert.deepEqual(cycles, [
      { cycle: '12', eol: '2028-06-30', codename: 'bookworm' },
      { cycle: '13', eol: '2030-06-30', codename: 'trixie' },
    ]);
  });

  it('fails cleanly, naming the host, when the network is down; a partial answer still refreshes', async () => {
    const down: FetchLike = async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND endoflife.date'), { code: 'ENOTFOUND' }) });
    };
    const failed = await refreshEolTable(FIXTURE, { now: NOW, fetch: down });
    assert.ok(!failed.ok);
    assert.match(failed.message, /^cannot reach endoflife\.date \(https:\/\/endoflife\.date\/api\/python\.json: host name not found\); the end-of-life table as of 2026-11-01 stays in use$/);

    const onlyPython: FetchLike = async (url) => ({
      ok: url.endsWith('/python.json'),
      status: url.endsWith('/python.json') ? 200 : 404,
      json: async () => [{ cycle: '3.14', eol: '2030-10-31' }, { cycle: '3.8', eol: '2024-10-07' }],
    });
    const partial = await refreshEolTable(FIXTURE, { now: NOW, fetch: onlyPython });
    assert.ok(partial.ok);
    assert.deepEqual(partial.refreshed, ['python']);
    assert.equal(partial.table.asOf, '2026-11-22');
    assert.deepEqual(partial.table.products.python?.cycles.map((c) => c.cycle), ['3.8', '3.14']);
    assert.deepEqual(partial.table.products.node, FIXTURE.products.node);
    assert.ok(partial.warnings.some((w) => /node: endoflife\.date answered 404/.test(w)));
  });
});
