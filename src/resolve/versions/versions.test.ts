import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HttpResponse } from '../../registry/http-transport.js';
import { TAG_LIST_BOUNDS, listTagPages, nextPagePath } from '../../registry/list-tags.js';
import { registryFailure } from '../../registry/registry-failure.js';
import { mustParseImageRef } from '../../refs/image-ref.js';
import { MAX_REPORTED_PROPOSALS, allowedVersionsFor, describeNewer, newestPerKind, proposeNewerTags, reportedProposals } from './propose-newer.js';
import { parseAllowedVersions } from '../../refs/version-range.js';
import { compareVersionTags, parseVersionTag } from '../../refs/version-tag.js';

describe('parseVersionTag', () => {
  const table: Array<[string, { prefix?: string; numbers: number[]; prerelease?: string | null; flavour?: string } | null]> = [
    ['3.12', { numbers: [3, 12] }],
    ['3.12.4-slim', { numbers: [3, 12, 4], flavour: 'slim' }],
    ['22-bookworm', { numbers: [22], flavour: 'bookworm' }],
    ['v1.2.3', { prefix: 'v', numbers: [1, 2, 3] }],
    ['2024.10.1', { numbers: [2024, 10, 1] }],
    ['1.25-alpine3.20', { numbers: [1, 25], flavour: 'alpine3.20' }],
    ['3.14-rc-slim', { numbers: [3, 14], prerelease: 'rc', flavour: 'slim' }],
    ['3.13.0rc1-slim-bookworm', { numbers: [3, 13, 0], prerelease: 'rc1', flavour: 'slim-bookworm' }],
    ['1.0.0-beta.2', { numbers: [1, 0, 0], prerelease: 'beta.2' }],
    ['21-ea-jdk', { numbers: [21], prerelease: 'ea', flavour: 'jdk' }],
    ['21-jdk-jammy', { numbers: [21], flavour: 'jdk-jammy' }],
    ['latest', null],
    ['bookworm', null],
    ['slim', null],
    ['3.12foo', null],
    ['', null],
  ];
  for (const [tag, expected] of table) {
    it(`reads ${JSON.stringify(tag)}`, () => {
      const parsed = parseVersionTag(tag);
      if (expected === null) return assert.equal(parsed, null);
      assert.deepEqual(parsed, { tag, prefix: expected.prefix ?? '', numbers: expected.numbers, prerelease: expected.prerelease ?? null, flavour: expected.flavour ?? '' });
    });
  }

  it('orders versions numerically, pre-releases before their release', () => {
    const chain = ['3.9', '3.10', '3.14a1', '3.14b2', '3.14rc1', '3.14rc2', '3.14', '3.14.1', '10.0'];
    for (let i = 0; i + 1 < chain.length; i++) {
      const lower = parseVersionTag(chain[i] as string);
      const higher = parseVersionTag(chain[i + 1] as string);
      assert.ok(lower !== null, `${chain[i]} parses`);
      assert.ok(higher !== null, `${chain[i + 1]} parses`);
      assert.equal(compareVersionTags(lower, higher), -1, `${chain[i]} < ${chain[i + 1]}`);
      assert.equal(compareVersionTags(higher, lower), 1);
    }
  });
});

describe('parseAllowedVersions', () => {
  const versions = ['3.11', '3.12', '3.12.4', '3.13', '3.14', '4.0', '0.4.2', '0.5.0'];
  const table: Array<[string, string[]]> = [
    ['>=3.12 <3.14', ['3.12', '3.12.4', '3.13']],
    ['>= 3.12 < 3.14', ['3.12', '3.12.4', '3.13']],
    ['~3.12', ['3.12', '3.12.4']],
    ['^3', ['3.11', '3.12', '3.12.4', '3.13', '3.14']],
    ['^3.12', ['3.12', '3.12.4', '3.13', '3.14']],
    ['^0.4', ['0.4.2']],
    ['3.x', ['3.11', '3.12', '3.12.4', '3.13', '3.14']],
    ['3.12', ['3.12', '3.12.4']],
    ['=3.12.4', ['3.12.4']],
    ['<=3.12', ['3.11', '3.12', '3.12.4', '0.4.2', '0.5.0']],
    ['>3.12', ['3.13', '3.14', '4.0']],
    ['3.11 - 3.12', ['3.11', '3.12', '3.12.4']],
    ['~3.11 || >=4', ['3.11', '4.0']],
    ['*', versions],
    ['/^3\\.1[23]/', ['3.12', '3.12.4', '3.13']],
    ['!/^3\\./', ['4.0', '0.4.2', '0.5.0']],
  ];
  for (const [range, expected] of table) {
    it(`"${range}" keeps ${expected.join(', ')}`, () => {
      const parsed = parseAllowedVersions(range);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const kept = versions.filter((version) => parsed.allowed.matches(parseVersionTag(version) as NonNullable<ReturnType<typeof parseVersionTag>>));
      assert.deepEqual(kept, expected);
    });
  }
  for (const bad of ['', '>=3.12rc1', '3.x.4', 'banana', '/(/', '>=3.12 ||']) {
    it(`refuses ${JSON.stringify(bad)} with the accepted forms`, () => {
      const parsed = parseAllowedVersions(bad);
      assert.ok(!parsed.ok);
      assert.match(parsed.error, /allowedVersions/);
    });
  }
});

describe('proposeNewerTags', () => {
  const tags = ['3.11-slim', '3.12-slim', '3.12.4-slim', '3.12.5-slim', '3.13-slim', '3.13-alpine', '3.14-rc-slim', '4.0-slim', 'latest', 'slim', '3.13.0rc2-slim', '3.13.0rc3-slim'];
  const table: Array<[string, { includePrerelease?: boolean; allowed?: string }, Array<[string, string]>]> = [
    ['3.11-slim', {}, [['4.0-slim', 'major'], ['3.13-slim', 'minor'], ['3.12-slim', 'minor']]],
    ['3.12-slim', {}, [['4.0-slim', 'major'], ['3.13-slim', 'minor']]],
    ['3.12.4-slim', {}, [['3.12.5-slim', 'patch']]],
    ['3.13-slim', {}, [['4.0-slim', 'major']]],
    ['3.13-slim', { includePrerelease: true }, [['4.0-slim', 'major'], ['3.14-rc-slim', 'minor']]],
    ['3.13-alpine', {}, []],
    ['3.13.0rc2-slim', {}, [['3.13.0rc3-slim', 'patch']]],
    ['3.14-rc-slim', {}, [['4.0-slim', 'major']]],
    ['3.11-slim', { allowed: '<4' }, [['3.13-slim', 'minor'], ['3.12-slim', 'minor']]],
    ['3.11-slim', { allowed: '~3.12' }, [['3.12-slim', 'minor']]],
    ['latest', {}, []],
    ['slim', {}, []],
  ];
  for (const [current, options, expected] of table) {
    it(`${current} ${JSON.stringify(options)} → ${expected.map(([tag]) => tag).join(', ') || 'nothing'}`, () => {
      const allowed = options.allowed === undefined ? null : parseAllowedVersions(options.allowed);
      if (allowed !== null) assert.ok(allowed.ok);
      const proposals = proposeNewerTags(current, tags, {
        includePrerelease: options.includePrerelease ?? false,
        allowed: allowed !== null && allowed.ok ? allowed.allowed : null,
      });
      assert.deepEqual(proposals.map((p) => [p.tag, p.kind]), expected);
    });
  }

  it('keeps v-prefixed and calendar lines apart and tells the kinds apart', () => {
    assert.deepEqual(proposeNewerTags('v1.2.3', ['1.2.4', 'v1.2.4', 'v1.3.0', 'v2.0.0']).map((p) => p.tag), ['v2.0.0', 'v1.3.0', 'v1.2.4']);
    const calendar = proposeNewerTags('2024.10.1', ['2024.10.2', '2024.11.0', '2025.1.0', '2025.1']);
    assert.deepEqual(newestPerKind(calendar), [{ tag: '2025.1.0', kind: 'major' }, { tag: '2024.11.0', kind: 'minor' }, { tag: '2024.10.2', kind: 'patch' }]);
    assert.equal(describeNewer(proposeNewerTags('22-bookworm', ['20-bookworm', '24-bookworm', '24-alpine'])), '24-bookworm (major)');
  });

  it('picks the first allowedVersions rule whose image glob matches the base', () => {
    const rules = [
      { image: 'ghcr.io/me/*', versions: '<2' },
      { image: 'python', versions: '~3.12' },
      { image: '*', versions: '/never/' },
    ];
    assert.equal(allowedVersionsFor(mustParseImageRef('python:3.11-slim'), rules)?.ok && 'ok', 'ok');
    const python = allowedVersionsFor(mustParseImageRef('docker.io/library/python:3.11-slim'), rules);
    assert.ok(python?.ok, JSON.stringify(python));
    assert.equal(python.allowed.text, '~3.12');
    const node = allowedVersionsFor(mustParseImageRef('node:20'), rules);
    assert.ok(node?.ok, JSON.stringify(node));
    assert.equal(node.allowed.text, '/never/');
    assert.equal(allowedVersionsFor(mustParseImageRef('node:20'), []), null);
  });
});

describe('reportedProposals', () => {
  it('keeps the newest few and the newest of each kind, newest first', () => {
    const majors = Array.from({ length: 30 }, (_, i) => `${i + 4}.0.0`);
    const tags = [...majors, '3.9.0', '3.5.0', '3.2.9', '3.2.5'];
    const all = proposeNewerTags('3.2.1', tags);
    assert.equal(all.length, 34);
    const kept = reportedProposals(all);
    assert.equal(kept.length, MAX_REPORTED_PROPOSALS + 2);
    assert.deepEqual(kept.slice(0, 3).map((p) => p.tag), ['33.0.0', '32.0.0', '31.0.0']);
    assert.deepEqual(kept.slice(-2), [{ tag: '3.9.0', kind: 'minor' }, { tag: '3.2.9', kind: 'patch' }]);
    assert.deepEqual(newestPerKind(kept), newestPerKind(all));
  });
});

describe('nextPagePath', () => {
  it('reads the next link and keeps only its path', () => {
    assert.equal(nextPagePath('</v2/library/python/tags/list?last=3.12&n=100>; rel="next"'), '/v2/library/python/tags/list?last=3.12&n=100');
    assert.equal(nextPagePath('<https://evil.example/v2/x/tags/list?n=1&last=a>; rel=next'), '/v2/x/tags/list?n=1&last=a');
    assert.equal(nextPagePath('</v2/x/tags/list?n=1>; rel="prev"'), null);
    assert.equal(nextPagePath(null), null);
  });
});

describe('listTagPages', () => {
  const ref = mustParseImageRef('registry.lan:5000/base/python:3.12');
  const ALL = ['3.10', '3.11', '3.12', '3.13', '3.14'];
  /** A registry that pages by `n` and `last` as distribution 3 does. */
  const pager = (requests: string[]) => ({
    async get(path: string): Promise<HttpResponse> {
      requests.push(path);
      const url = new URL(path, 'http://x');
      const n = Number(url.searchParams.get('n'));
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : ALL.indexOf(last) + 1;
      const tags = ALL.slice(start, start + n);
      const headers = new Headers();
      if (start + n < ALL.length) headers.set('link', `</v2/base/python/tags/list?last=${tags.at(-1)}&n=${n}>; rel="next"`);
      return { status: 200, statusText: 'OK', headers, body: Buffer.from(JSON.stringify({ name: 'base/python', tags })) };
    },
    statusFailure: async (response: HttpResponse, what: string) => registryFailure('protocol', 'registry.lan:5000', `${response.status} for ${what}`),
  });

  it('follows Link pages to the end', async () => {
    const requests: string[] = [];
    assert.deepEqual(await listTagPages(pager(requests), ref, { pageSize: 2 }), { ok: true, tags: ALL, truncated: false });
    assert.deepEqual(requests, ['/v2/base/python/tags/list?n=2', '/v2/base/python/tags/list?last=3.11&n=2', '/v2/base/python/tags/list?last=3.13&n=2']);
  });

  it('stops at maxPages and says the list is cut short', async () => {
    assert.deepEqual(await listTagPages(pager([]), ref, { pageSize: 2, maxPages: 2 }), { ok: true, tags: ALL.slice(0, 4), truncated: true });
  });

  it('answers a value for a bad page', async () => {
    const bad = { ...pager([]), get: async (): Promise<HttpResponse> => ({ status: 200, statusText: 'OK', headers: new Headers(), body: Buffer.from('{"tags": 3}') }) };
    const result = await listTagPages(bad, ref);
    assert.ok(!result.ok, JSON.stringify(result));
    assert.equal(result.kind, 'protocol', JSON.stringify(result));
    assert.match(result.message, /not \{"name", "tags"/);
  });

  it('keeps only valid tags, and ends the listing at a bound with what it has: a later page over the byte bound, a page with too many tags', async () => {
    const pages: Array<{ tags: string[]; link: boolean; bytes?: number }> = [
      { tags: ['3.10', '-bad', `${'x'.repeat(129)}`, '3.11'], link: true },
      { tags: ['3.12'], link: true, bytes: TAG_LIST_BOUNDS.maxPageBytes + 1 },
    ];
    const budgets: number[] = [];
    const fetcher = (source: typeof pages) => ({
      async get(_path: string, maxBodyBytes: number): Promise<HttpResponse | ReturnType<typeof registryFailure>> {
        budgets.push(maxBodyBytes);
        const page = source[budgets.length - 1] ?? { tags: [], link: false };
        if ((page.bytes ?? 0) > maxBodyBytes) return { ...registryFailure('protocol', 'registry.lan:5000', 'too large'), tooLarge: true as const };
        const headers = new Headers();
        if (page.link) headers.set('link', `</v2/base/python/tags/list?last=x&n=2>; rel="next"`);
        return { status: 200, statusText: 'OK', headers, body: Buffer.from(JSON.stringify({ tags: page.tags })) };
      },
      statusFailure: async (response: HttpResponse, what: string) => registryFailure('protocol', 'registry.lan:5000', `${response.status} for ${what}`),
    });
    assert.deepEqual(await listTagPages(fetcher(pages), ref), { ok: true, tags: ['3.10', '3.11'], truncated: true });
    assert.deepEqual(budgets, [TAG_LIST_BOUNDS.maxPageBytes, TAG_LIST_BOUNDS.maxPageBytes]);

    // The first page over its bound is the listing's failure: nothing was read.
    budgets.length = 0;
    const first = await listTagPages(fetcher([{ tags: [], link: false, bytes: TAG_LIST_BOUNDS.maxPageBytes + 1 }]), ref);
    assert.ok(!first.ok && first.tooLarge === true, JSON.stringify(first));

    budgets.length = 0;
    const many = Array.from({ length: TAG_LIST_BOUNDS.maxPageTags + 5 }, (_, i) => `1.${i}`);
    const cut = await listTagPages(fetcher([{ tags: many, link: true }]), ref);
    assert.ok(cut.ok, JSON.stringify(cut).slice(0, 200));
    assert.equal(cut.tags.length, TAG_LIST_BOUNDS.maxPageTags);
    assert.equal(cut.truncated, true);
    assert.equal(budgets.length, 1, 'no page after the one that had too many');
  });
});
