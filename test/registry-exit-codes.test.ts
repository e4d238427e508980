// Exit codes of `check` for what registries answer, as the README's table says: a rate limit
// (`unknown`) is a base that could not be checked upstream (5), like a registry error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildImage, makeBaseImage, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';
import { startHttpServer } from './registry-harness.js';

interface Report {
  images: Array<{ tags: string[]; status: string; reason: string; rateLimited?: boolean }>;
  dockerfiles: Array<{ bases: Array<{ status: string; reason: string; rateLimited?: boolean }> }>;
}

describe('check exit codes for registry answers', { skip: skipWithoutWorld() }, () => {
  it('exits 5 when a registry rate-limits the check, and says which bases were rate-limited', async (t) => {
    // Retry-After beyond the client's wait budget: answered at once, never retried.
    const { address } = await startHttpServer(t, (_req, res) => void res.writeHead(429, { 'Retry-After': '3600' }).end());
    const baseRef = `${address}/limited/base:1`;
    await makeBaseImage({ ref: baseRef });
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
    const app = `${uniqueName('ratelimited')}:1`;
    await buildImage({ context: project, tag: app });
    const home = await makeTempDir('home');

    const result = await runBasewatch(['check', '--json', '--root', project, app], { home });
    const report = JSON.parse(result.stdout) as Report;
    const image = report.images.find((entry) => entry.tags.includes(app));
    assert.ok(image, result.stdout);
    assert.equal(image.status, 'unknown', JSON.stringify(image));
    assert.equal(image.rateLimited, true, JSON.stringify(image));
    assert.match(image.reason, new RegExp(`^${address}: 429 too many requests for limited/base:1.*try again in 3600 s`));
    const base = report.dockerfiles[0]?.bases[0];
    assert.equal(base?.status, 'unknown', JSON.stringify(base));
    assert.equal(base?.rateLimited, true, JSON.stringify(base));
    assert.equal(result.code, 5, `exit ${result.code}: ${result.stderr}`);

    // The human report and --exit-code say the same.
    const human = await runBasewatch(['check', '--exit-code', '--root', project, app], { home });
    assert.equal(human.code, 5, human.stdout + human.stderr);
    assert.match(human.stdout, /429 too many requests/);
  });
});

describe('update exit codes for what it could not check or read', { skip: skipWithoutWorld() }, () => {
  it('exits 5 when a base could not be checked upstream, and says so; 4 when an input could not be read', async (t) => {
    const { address } = await startHttpServer(t, (_req, res) => void res.writeHead(429, { 'Retry-After': '3600' }).end());
    const baseRef = `${address}/limited/base:1`;
    await makeBaseImage({ ref: baseRef });
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
    const app = `${uniqueName('update-limited')}:1`;
    await buildImage({ context: project, tag: app });
    const home = await makeTempDir('home');

    const human = await runBasewatch(['update', '--root', project, app], { home });
    assert.equal(human.code, 5, `exit ${human.code}: ${human.stdout}${human.stderr}`);
    assert.match(human.stdout, new RegExp(`could not be checked upstream[^]*${app.replace(/[.:]/g, '\\$&')}: .*429 too many requests`));
    const json = await runBasewatch(['update', '--json', '--root', project, app], { home });
    assert.equal(json.code, 5, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { report: Report }).report.images[0]?.rateLimited, true);

    // A Dockerfile that cannot be read: 4 (before 5), the file and line named.
    const broken = await writeProject({ Dockerfile: 'ARG TAG\nFROM python:${TAG}\n' });
    const unreadable = await runBasewatch(['update', '--root', broken, app], { home });
    assert.equal(unreadable.code, 4, `exit ${unreadable.code}: ${unreadable.stdout}${unreadable.stderr}`);
    assert.match(unreadable.stdout, /could not be read[^]*Dockerfile:2: /);
  });
});
