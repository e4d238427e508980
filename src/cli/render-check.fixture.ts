/** A check report as a developer's engine gives one, for the render tests (pure data). */
import type { CheckReport, ImageReport } from '../report/check-report.js';

const at = '2026-12-06T13:50:00Z';
const d = (seed: string): string => `sha256:${seed.repeat(64).slice(0, 64)}`;

function linked(name: string, baseRef: string, over: Partial<ImageReport> & { latest?: string | null; digest?: string } = {}): ImageReport {
  const { latest = d('b1'), digest = d('b1'), ...rest } = over;
  return {
    name,
    tags: [name],
    id: d(name.replace(/[^0-9a-f]/g, '') || 'e'),
    platform: 'linux/amd64',
    base: { ref: baseRef, digest, via: 'layers', latest, localId: d('ba5e'), newer: null, newerReason: null, eol: null },
    source: { dockerfile: '/home/dev/shop/api/Dockerfile', context: '/home/dev/shop/api', target: null, compose: null, service: null, args: {} },
    status: 'current',
    reason: 'its base is the latest python:3.12-slim',
    checkedAt: at,
    ...rest,
  };
}

function unlinked(name: string, id: string): ImageReport {
  return { name, tags: [name], id, platform: 'linux/amd64', base: null, source: null, status: 'unlinked', reason: 'no base found: no labels, no local image its layers start with', checkedAt: null };
}

export const developerReport: CheckReport = {
  engine: { host: 'unix:///var/run/docker.sock', source: 'default socket', apiVersion: '1.41', serverVersion: '20.10.24' },
  offline: false,
  roots: ['/home/dev/shop'],
  images: [
    linked('registry.example.com:5000/shop/checkout-service-with-a-long-name:2024.12.06-rc1', 'docker.io/library/python:3.12-slim-bookworm', {
      status: 'outdated',
      latest: d('c2'),
      reason: 'python:3.12-slim-bookworm moved upstream 2 days ago (openssl 3.0.15-1 → 3.0.16-1, 2 more); basewatch update rebases it',
      source: { dockerfile: '/home/dev/shop/checkout/Dockerfile', context: '/home/dev/shop/checkout', target: null, compose: '/home/dev/shop/compose.yaml', service: 'checkout', args: {} },
    }),
    linked('shop/api:dev', 'docker.io/library/python:3.12-slim', { status: 'current' }),
    linked('shop/worker:dev', 'ghcr.io/acme/base-images/python-runtime:3.12', {
      status: 'error',
      latest: null,
      reason: 'ghcr.io answered 401 Unauthorized: log in with docker login ghcr.io',
    }),
    {
      ...linked('shop/legacy:1', 'docker.io/library/node:16-bullseye', { status: 'current' }),
      base: { ref: 'docker.io/library/node:16-bullseye', digest: d('a7'), via: 'label', latest: d('a7'), localId: null, newer: [{ tag: '22-bookworm', kind: 'major' }], newerReason: null, eol: { product: 'nodejs', label: 'Node.js', cycle: '16', eol: '2023-09-11', status: 'past', successor: '22', via: 'image', message: 'Node.js 16 reached end of life on 2023-09-11; move to Node.js 22' } },
    },
    { ...unlinked('shop/cron:dev', d('c0')), suggestedLink: { dockerfile: '/home/dev/shop/cron/Dockerfile', context: '/home/dev/shop/cron', shown: './cron/Dockerfile', command: 'basewatch link shop/cron:dev ./cron/Dockerfile' } },
    unlinked('python:3.12-slim', d('ba5e')),
    unlinked('redis:7', d('7ed')),
    unlinked('postgres:16', d('9a')),
  ],
  dockerfiles: [
    {
      path: '/home/dev/shop/api/Dockerfile',
      bases: [{ ref: 'docker.io/library/python:3.12-slim', kind: 'from', line: 1, stage: null, final: true, pinned: null, platform: null, local: d('b1'), latest: d('b1'), status: 'current', reason: 'the local copy is the latest', checkedAt: at, newer: null, newerReason: null, eol: null }],
      errors: [],
      usedBy: [],
    },
    {
      path: '/home/dev/shop/checkout/Dockerfile',
      bases: [
        { ref: 'docker.io/library/golang:1.22', kind: 'from', line: 1, stage: 'build', final: false, pinned: null, platform: null, local: d('90'), latest: d('91'), status: 'outdated', reason: 'a plain docker build would use the stale local copy; docker pull golang:1.22 first', checkedAt: at, newer: [{ tag: '1.23', kind: 'minor' }], newerReason: null, eol: null },
        { ref: 'docker.io/library/python:3.12-slim-bookworm', kind: 'from', line: 9, stage: null, final: true, pinned: null, platform: null, local: d('b1'), latest: d('c2'), status: 'outdated', reason: 'moved upstream', checkedAt: at, newer: null, newerReason: null, eol: null },
      ],
      errors: [],
      usedBy: ['compose.yaml#checkout'],
    },
    { path: '/home/dev/shop/broken/Dockerfile', bases: [], errors: [{ line: 2, message: 'FROM needs an image: "FROM ${BASE}" and BASE has no default value (pass --build-arg BASE=… or set it in compose args)' }], usedBy: [] },
  ],
  compose: [
    { path: '/home/dev/shop/compose.yaml', project: 'shop', services: [{ name: 'checkout', image: 'registry.example.com:5000/shop/checkout-service-with-a-long-name:2024.12.06-rc1', dockerfile: '/home/dev/shop/checkout/Dockerfile', context: '/home/dev/shop/checkout', target: null, args: {} }], errors: [] },
  ],
  registries: [{ registry: 'docker.io', limit: 100, remaining: 97, windowSeconds: 21600, seenAt: '2026-12-06T13:50:00Z' }],
  errors: [{ where: '/home/dev/shop/broken/Dockerfile:2', message: 'FROM needs an image: "FROM ${BASE}" and BASE has no default value (pass --build-arg BASE=… or set it in compose args)' }],
};
