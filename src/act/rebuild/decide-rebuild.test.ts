import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDockerfile, splitTags, tagsToMove } from './decide-rebuild.js';

const D = `sha256:${'a'.repeat(64)}`;
const PY = { ref: 'docker.io/library/python:3.12-slim', digest: D };

describe('planDockerfile', () => {
  const table: Array<{ name: string; text: string; approved: typeof PY | null; content?: string; pulls?: string[]; final?: string | null; warnings?: string[]; reasons?: string[] }> = [
    {
      name: 'no approved base: the file as written, the final base pulled first',
      text: 'FROM golang:1.22 AS build\nFROM python:3.12-slim\n',
      approved: null,
      pulls: ['docker.io/library/python:3.12-slim', 'docker.io/library/golang:1.22'],
      final: 'docker.io/library/python:3.12-slim',
    },
    {
      name: 'an approved base: the pinned text, pulled and built at its digest',
      text: 'FROM python:3.12-slim\n',
      approved: PY,
      content: `FROM python:3.12-slim@${D}\n`,
      pulls: [`docker.io/library/python:3.12-slim@${D}`],
      final: `docker.io/library/python:3.12-slim@${D}`,
    },
    {
      name: 'an approved base the file does not use: the file as written, with a warning',
      text: 'FROM python:3.13-slim\n',
      approved: PY,
      pulls: ['docker.io/library/python:3.13-slim'],
      final: 'docker.io/library/python:3.13-slim',
      warnings: [`the plan approved python:3.12-slim@${D}, but the Dockerfile now builds on python:3.13-slim; built on that as its tag is now`],
    },
    { name: 'FROM scratch: nothing to pull', text: 'FROM scratch\nCOPY a /a\n', approved: null, pulls: [], final: null },
    {
      name: 'a Dockerfile that cannot be built fails, naming the file and line of each problem',
      text: 'RUN true\n',
      approved: null,
      reasons: ['/src/Dockerfile:1: RUN before the first FROM: only ARG instructions may come before FROM', '/src/Dockerfile:1: no FROM instruction: a Dockerfile needs at least one build stage'],
    },
    { name: 'an approved base is no help to a broken FROM', text: 'FROM\n', approved: PY, reasons: ['/src/Dockerfile:1: FROM needs an image: FROM [--platform=<platform>] <image> [AS <name>]'] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const plan = planDockerfile(row.text, '/src/Dockerfile', {}, row.approved);
      if (row.reasons !== undefined) {
        assert.deepEqual(plan, { ok: false, reasons: row.reasons });
        return;
      }
      assert.ok(plan.ok, JSON.stringify(plan));
      assert.equal(plan.content, row.content);
      assert.deepEqual(
        plan.pulls.map((pull) => pull.ref),
        row.pulls,
      );
      assert.equal(plan.final?.ref ?? null, row.final);
      assert.deepEqual(plan.warnings, row.warnings ?? []);
    });
  }
});

describe('tagsToMove', () => {
  const old = { repoTags: ['app:1', 'registry.example/app:1', 'basewatch-rollback:0123456789ab'] };
  const table: Array<[string, { tags: string[]; image: string | null }, typeof old | null, string[]]> = [
    ["the spec's tags, familiar and each once", { tags: ['docker.io/library/app:2', 'app:2', 'x/y:1'], image: 'app:1' }, old, ['app:2', 'x/y:1']],
    ["else the old image's tags", { tags: [], image: 'app:1' }, old, ['app:1', 'registry.example/app:1']],
    ["else the image's own name", { tags: [], image: 'docker.io/library/app:3' }, null, ['app:3']],
    ['not an image ID', { tags: [], image: '0123456789abcdef' }, null, []],
    ['nothing at all', { tags: [], image: null }, null, []],
  ];
  for (const [name, spec, image, expected] of table) it(name, () => assert.deepEqual(tagsToMove(spec, image), expected));
});

describe('splitTags', () => {
  it('moves the tags on the old image, however written, and gives the others', () => {
    assert.deepEqual(splitTags(['app:1', 'docker.io/library/app:latest', 'app:2'], ['docker.io/library/app:1', 'app']), {
      onOld: ['app:1', 'docker.io/library/app:latest'],
      given: ['app:2'],
    });
  });
});
