// Snapshots of the human `check` table at 80 and 120 columns: pure data in, text out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { developerReport } from './render-check.fixture.js';
import { displayPath, groupImage, renderCheck } from './render-check.js';
import { createStyle, fitTable, visibleLength } from './style.js';

const plain = createStyle(false);
const render = (width: number, all = false): string =>
  renderCheck(developerReport, plain, { width, all, cwd: '/home/dev/shop', now: new Date('2026-12-06T14:02:00Z'), timeZone: 'UTC' });

function longest(text: string): number {
  return Math.max(...text.split('\n').map(visibleLength));
}

test('80 columns: what needs attention first, no line wider than 80, bases only counted', () => {
  assert.equal(render(80), EXPECTED_80);
  assert.ok(longest(render(80)) <= 80);
});

test('120 columns: the digests come back, still one line per image', () => {
  assert.equal(render(120), EXPECTED_120);
  assert.ok(longest(render(120)) <= 120);
});

test('--all lists base images, images with no known base and every file, and still fits', () => {
  const all = render(80, true);
  assert.ok(longest(all) <= 80, all);
  for (const heading of ['Base images (1)', 'Images with no known base (2)', 'Dockerfiles (3)', 'Compose files (1)']) assert.ok(all.includes(heading), heading);
  assert.ok(all.includes('  redis:7 '));
  assert.ok(!render(80).includes('redis:7'));
});

test('colour does not count toward the width', () => {
  const colored = renderCheck(developerReport, createStyle(true), { width: 80, all: false, cwd: '/home/dev/shop', now: new Date('2026-12-06T14:02:00Z'), timeZone: 'UTC' });
  assert.ok(colored.includes('\u001b['));
  assert.ok(longest(colored) <= 80);
});

test('an unlinked image is a base image when another image rests on it, else has no known base', () => {
  const bases = new Set(developerReport.images.flatMap((image) => (image.base?.localId ? [image.base.localId] : [])));
  const groups = developerReport.images.map((image) => `${image.name} ${groupImage(image, bases)}`);
  assert.deepEqual(groups.slice(-4), ['shop/cron:dev attention', 'python:3.12-slim base', 'redis:7 no-base', 'postgres:16 no-base']);
});

test('paths under the folder basewatch ran in are relative, others stay whole', () => {
  assert.equal(displayPath('/home/dev/shop/api/Dockerfile', '/home/dev/shop'), './api/Dockerfile');
  assert.equal(displayPath('/srv/other/Dockerfile', '/home/dev/shop'), '/srv/other/Dockerfile');
  assert.equal(displayPath('/home/dev/shopping/Dockerfile', '/home/dev/shop'), '/home/dev/shopping/Dockerfile');
});

test('fitTable drops the least wanted column first, then cuts the names', () => {
  const columns = [
    { title: 'NAME', keep: 0, minWidth: 6, cut: 'middle' as const },
    { title: 'STATE', keep: 0 },
    { title: 'EXTRA', keep: 2 },
    { title: 'MORE', keep: 1 },
  ];
  const rows = [['a-very-long-image-name', 'ok', 'x', 'y']];
  assert.deepEqual(fitTable(columns, rows, 42, plain).dropped, []);
  assert.deepEqual(fitTable(columns, rows, 41, plain).dropped, ['EXTRA']);
  const narrow = fitTable(columns, rows, 20, plain);
  assert.deepEqual(narrow.dropped, ['EXTRA', 'MORE']);
  assert.deepEqual(narrow.lines, ['NAME           STATE', 'a-very…e-name  ok']);
  assert.ok(Math.max(...narrow.lines.map(visibleLength)) <= 20);
});

const EXPECTED_80 = `Engine  unix:///var/run/docker.sock (default socket), Docker 20.10.24, API 1.41
Roots   .

Needs attention (4)
  IMAGE                                       STATUS    BASE
  registry.example.com:…-name:2024.12.06-rc1  outdated  python:3.12-…im-bookworm
    python:3.12-slim-bookworm moved upstream 2 days ago (openssl 3.0.15-1 →
      3.0.16-1, 2 more); basewatch update rebases it
  shop/worker:dev                             error     ghcr.io/acme…untime:3.12
    ghcr.io answered 401 Unauthorized: log in with docker login ghcr.io
  shop/legacy:1                               current   node:16-bullseye
    newer: 22-bookworm (major)
    Node.js 16 reached end of life on 2023-09-11; move to Node.js 22
    its base is the latest python:3.12-slim
  shop/cron:dev                               unlinked  -
    no base found: no labels, no local image its layers start with
    built from ./cron/Dockerfile? Link it:
      basewatch link shop/cron:dev ./cron/Dockerfile

Up to date (1)
  IMAGE                                       STATUS    BASE
  shop/api:dev                                current   python:3.12-slim

Not listed: 1 base image, 2 images with no known base (--all lists them).

Dockerfiles (2 of 3)
./checkout/Dockerfile  built by compose.yaml#checkout
  line 1    outdated FROM golang:1.22
    newer: 1.23 (minor)
    a plain docker build would use the stale local copy; docker pull golang:1.22
      first
  line 9    outdated FROM python:3.12-slim-bookworm
    moved upstream
./broken/Dockerfile
  error line 2: FROM needs an image: "FROM \${BASE}" and BASE has no default
    value (pass --build-arg BASE=… or set it in compose args)
  1 more, nothing to do (--all lists them)

Compose files: 1, 1 service (--all lists them)

Registry pull budgets
  docker.io: 97 of 100 pulls left per 6 h, seen 13:50 (12 min ago)

Errors (1)
  ./broken/Dockerfile:2: FROM needs an image: "FROM \${BASE}" and BASE has no
    default value (pass --build-arg BASE=… or set it in compose args)
`;

const EXPECTED_120 = `Engine  unix:///var/run/docker.sock (default socket), Docker 20.10.24, API 1.41
Roots   .

Needs attention (4)
  IMAGE                                           STATUS    BASE                      BUILT ON      LATEST        VIA
  registry.example.com:50…ng-name:2024.12.06-rc1  outdated  python:3.12-…im-bookworm  b1b1b1b1b1b1  c2c2c2c2c2c2  layers
    python:3.12-slim-bookworm moved upstream 2 days ago (openssl 3.0.15-1 → 3.0.16-1, 2 more); basewatch update rebases
      it
  shop/worker:dev                                 error     ghcr.io/acme…untime:3.12  b1b1b1b1b1b1  -             layers
    ghcr.io answered 401 Unauthorized: log in with docker login ghcr.io
  shop/legacy:1                                   current   node:16-bullseye          a7a7a7a7a7a7  same          label
    newer: 22-bookworm (major)
    Node.js 16 reached end of life on 2023-09-11; move to Node.js 22
    its base is the latest python:3.12-slim
  shop/cron:dev                                   unlinked  -                         -             -             -
    no base found: no labels, no local image its layers start with
    built from ./cron/Dockerfile? Link it:
      basewatch link shop/cron:dev ./cron/Dockerfile

Up to date (1)
  IMAGE                                           STATUS    BASE                      BUILT ON      LATEST        VIA
  shop/api:dev                                    current   python:3.12-slim          b1b1b1b1b1b1  same          layers

Not listed: 1 base image, 2 images with no known base (--all lists them).

Dockerfiles (2 of 3)
./checkout/Dockerfile  built by compose.yaml#checkout
  line 1    outdated FROM golang:1.22  stage build, local 909090909090, latest 919191919191
    newer: 1.23 (minor)
    a plain docker build would use the stale local copy; docker pull golang:1.22 first
  line 9    outdated FROM python:3.12-slim-bookworm  final, local b1b1b1b1b1b1, latest c2c2c2c2c2c2
    moved upstream
./broken/Dockerfile
  error line 2: FROM needs an image: "FROM \${BASE}" and BASE has no default value (pass --build-arg BASE=… or set it in
    compose args)
  1 more, nothing to do (--all lists them)

Compose files: 1, 1 service (--all lists them)

Registry pull budgets
  docker.io: 97 of 100 pulls left per 6 h, seen 13:50 (12 min ago)

Errors (1)
  ./broken/Dockerfile:2: FROM needs an image: "FROM \${BASE}" and BASE has no default value (pass --build-arg BASE=… or
    set it in compose args)
`;
