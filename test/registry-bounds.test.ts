// A registry with millions of tags, one that ignores `n` and sends pages of hundreds of thousands
// of tags, one that sends its whole tag list in one endless page, and one whose manifest is
// oversized: `basewatch check` (a real process, against the real engine) stays small in memory,
// writes a small state.json and --json, and says which registry sent too much. The registry is a
// node:http server generating every page on the fly (docker-registry cannot hold 3 million tags).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildImage, makeBaseImage, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';
import { sha256 } from './registry-content.js';
import { startHttpServer } from './registry-harness.js';

const MILLIONS = 3_000_000;
const WIDE_PAGE = 70_000;
const MIB = 1024 * 1024;
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: sha256('{}') },
    layers: [],
  }),
);

/** Writes `count` tags `${prefix}${from + i}` as a JSON tag list, respecting backpressure; stops when the client goes away. */
function streamTags(res: ServerResponse, name: string, prefix: string, from: number, count: number, link: string | null): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (link !== null) headers.Link = `<${link}>; rel="next"`;
  res.writeHead(200, headers);
  res.write(`{"name":${JSON.stringify(name)},"tags":[`);
  let i = 0;
  const more = (): void => {
    while (i < count && !res.destroyed) {
      const chunk: string[] = [];
      for (const end = Math.min(count, i + 5000); i < end; i++) chunk.push(`${i === 0 ? '' : ','}"${prefix}${from + i}"`);
      if (!res.write(chunk.join(''))) return void res.once('drain', more);
    }
    if (!res.destroyed) res.end(']}');
  };
  more();
}

function fakeRegistry(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://registry');
  const manifest = /^\/v2\/([a-z]+)\/manifests\/(.+)$/.exec(url.pathname);
  if (url.pathname === '/v2/') return void res.writeHead(200).end('{}');
  if (manifest !== null) {
    const [, repository] = manifest;
    if (repository === 'fat') {
      // No digest on HEAD, so the client must GET it; the body is 6 MiB, with no Content-Length.
      if (req.method === 'HEAD') return void res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' }).end();
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' });
      let sent = 0;
      const more = (): void => {
        while (sent < 6 * MIB && !res.destroyed) {
          sent += 64 * 1024;
          if (!res.write(Buffer.alloc(64 * 1024, 32))) return void res.once('drain', more);
        }
        if (!res.destroyed) res.end();
      };
      return more();
    }
    const headers = { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', 'Docker-Content-Digest': sha256(MANIFEST), 'Content-Length': String(MANIFEST.length) };
    return void res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : MANIFEST);
  }
  const tags = /^\/v2\/([a-z]+)\/tags\/list$/.exec(url.pathname);
  const repository = tags?.[1];
  const last = url.searchParams.get('last');
  const after = last === null ? 0 : Number(last.split('.').at(-1)) + 1;
  if (repository === 'big') {
    // Three million tags, paged by `n` and `last` as distribution does.
    const n = Math.min(Number(url.searchParams.get('n') ?? 100), 1000);
    const count = Math.max(0, Math.min(n, MILLIONS - after));
    const link = after + count < MILLIONS ? `/v2/big/tags/list?n=${n}&last=1.0.${after + count - 1}` : null;
    return streamTags(res, 'big', '1.0.', after, count, link);
  }
  if (repository === 'wide') {
    // Ignores `n`: pages of 70,000 tags (just under 1 MiB), ten million in all.
    const count = Math.min(WIDE_PAGE, 10_000_000 - after);
    return streamTags(res, 'wide', '2.0.', after, count, `/v2/wide/tags/list?last=2.0.${after + count - 1}`);
  }
  if (repository === 'flat') return streamTags(res, 'flat', '3.0.', 0, MILLIONS, null);
  res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
}

/** An ESM file for `node --import` that writes the process's peak RSS (KiB) to a file as it exits. */
function rssProbe(dir: string, out: string): string {
  const file = path.join(dir, 'rss-probe.mjs');
  writeFileSync(file, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
  return file;
}

function filesUnder(dir: string): Array<{ file: string; size: number }> {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return { file, size: statSync(file).size };
    });
}

interface Report {
  images: Array<{ tags: string[]; status: string; reason: string; base: { ref: string; newer: Array<{ tag: string; kind: string }> | null; newerReason: string | null } | null }>;
}

describe('registry data is bounded', { skip: skipWithoutWorld() }, () => {
  it('check against 3 million tags, 70,000-tag pages, an endless page and a 6 MiB manifest stays under 200 MB and writes small files', async (t) => {
    const { address } = await startHttpServer(t, fakeRegistry);
    const repos = ['big', 'wide', 'flat', 'fat'] as const;
    const baseTag = { big: '1.0.0', wide: '2.0.0', flat: '3.0.0', fat: '1' };
    const apps: Record<string, string> = {};
    const files: Record<string, string> = {};
    for (const repo of repos) {
      const baseRef = `${address}/${repo}:${baseTag[repo]}`;
      await makeBaseImage({ ref: baseRef });
      const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': `${repo}\n` });
      apps[repo] = `${uniqueName(`bounded-${repo}`)}:1`;
      await buildImage({ context: project, tag: apps[repo] });
      files[`${repo}/Dockerfile`] = `FROM ${baseRef}\n`;
    }
    const root = await writeProject(files);
    const home = await makeTempDir('home');
    const probeDir = await makeTempDir('probe');
    const rssFile = path.join(probeDir, 'maxrss');
    const started = Date.now();
    const result = await runBasewatch(['check', '--json', '--root', root, ...Object.values(apps)], {
      home,
      env: { NODE_OPTIONS: `--import=${rssProbe(probeDir, rssFile)}` },
      timeoutMs: 300_000,
    });
    const seconds = (Date.now() - started) / 1000;
    const peakMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    t.diagnostic(`check: ${seconds.toFixed(1)} s, peak RSS ${peakMb.toFixed(0)} MB, --json ${result.stdout.length} bytes`);
    assert.ok(peakMb < 200, `check peaked at ${peakMb.toFixed(0)} MB of memory`);
    // For scale: the same check offline (no registry at all).
    await runBasewatch(['check', '--offline', '--json', '--root', root, ...Object.values(apps)], { env: { NODE_OPTIONS: `--import=${rssProbe(probeDir, rssFile)}` } });
    t.diagnostic(`the same check --offline: peak RSS ${(Number(readFileSync(rssFile, 'utf8')) / 1024).toFixed(0)} MB`);

    assert.ok(result.stdout.length < 256 * 1024, `--json printed ${result.stdout.length} bytes`);
    const report = JSON.parse(result.stdout) as Report;
    const image = (repo: string) => {
      const found = report.images.find((entry) => entry.tags.includes(apps[repo] ?? ''));
      assert.ok(found, `no ${apps[repo]} in the report`);
      return found;
    };

    // Proposals of the paged registry: from the first pages (the list is cut short), a few only.
    const big = image('big');
    assert.ok(big.base?.newer !== null && big.base?.newer !== undefined, JSON.stringify(big.base));
    assert.ok(big.base.newer.length > 0 && big.base.newer.length <= 12, JSON.stringify(big.base.newer));
    assert.equal(big.base.newer[0]?.kind, 'patch');
    const wide = image('wide');
    assert.ok(wide.base?.newer !== null && wide.base?.newer !== undefined && wide.base.newer.length <= 12, JSON.stringify(wide.base));
    // One page with everything: cut off at 1 MiB, and the reason names the registry.
    const flat = image('flat');
    assert.equal(flat.base?.newer, null, JSON.stringify(flat.base));
    assert.ok(flat.base?.newerReason?.startsWith(`${address}: `), JSON.stringify(flat.base));
    assert.match(flat.base?.newerReason ?? '', /more than 1 MiB for flat \(tag list\)/);
    // An oversized manifest: the image is an error naming the registry, never outdated.
    const fat = image('fat');
    assert.equal(fat.status, 'error', JSON.stringify(fat));
    assert.ok(fat.reason.includes(`${address}: `), fat.reason);
    assert.match(fat.reason, /more than 4 MiB for fat:1/);

    // Nothing basewatch keeps holds the tag lists: state.json, the tag caches, all of it.
    const kept = filesUnder(home);
    t.diagnostic(`files: ${kept.map(({ file, size }) => `${path.relative(home, file)} ${size}`).join(', ')}`);
    const state = kept.find(({ file }) => path.basename(file) === 'state.json');
    assert.ok(state, `no state.json under ${home}`);
    assert.ok(state.size < 256 * 1024, `state.json is ${state.size} bytes`);
    for (const { file, size } of kept) assert.ok(size < 2 * MIB, `${file} is ${size} bytes`);

    // status reads it back quickly.
    const statusStarted = Date.now();
    const status = await runBasewatch(['status', '--json'], { home });
    assert.equal(status.code, 0, status.stderr);
    assert.ok(Date.now() - statusStarted < 10_000, `status took ${Date.now() - statusStarted} ms`);
  });
});
