import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { basesToPull } from './rebuild-plan.js';
import { pinApprovedBase } from './pin-approved-base.js';

const D = `sha256:${'a'.repeat(64)}`;
const OLD = `sha256:${'0'.repeat(64)}`;
const PY = { ref: 'docker.io/library/python:3.12-slim', digest: D };

function pinned(content: string, options: Parameters<typeof pinApprovedBase>[2] = {}, approved = PY): string {
  const result = pinApprovedBase(content, approved, options);
  assert.ok(result.ok, JSON.stringify(result));
  return result.content;
}

describe('pinApprovedBase', () => {
  const table: Array<[string, string, string]> = [
    ['a plain FROM', 'FROM python:3.12-slim\nRUN true\n', `FROM python:3.12-slim@${D}\nRUN true\n`],
    [
      '--platform, AS, spacing, CRLF and a BOM stay as written',
      '\uFEFF# syntax=docker/dockerfile:1\r\nFROM  --platform=$BUILDPLATFORM   python:3.12-slim   AS   app \r\nRUN true\r\n',
      `\uFEFF# syntax=docker/dockerfile:1\r\nFROM  --platform=$BUILDPLATFORM   python:3.12-slim@${D}   AS   app \r\nRUN true\r\n`,
    ],
    [
      'multi-stage: every use of the base by tag, COPY --from included; other images and stage references left alone',
      'FROM golang:1.22 AS build\nFROM python:3.12-slim AS deps\nFROM deps\nCOPY --from=build /out /app\nCOPY --from=python:3.12-slim /etc/os-release /x\n',
      `FROM golang:1.22 AS build\nFROM python:3.12-slim@${D} AS deps\nFROM deps\nCOPY --from=build /out /app\nCOPY --from=python:3.12-slim@${D} /etc/os-release /x\n`,
    ],
    [
      'an ARG-assembled FROM is pinned to what it expands to; the ARG lines stay',
      'ARG REPO=python\nARG TAG=3.11\nFROM ${REPO}:${TAG}\n',
      `ARG REPO=python\nARG TAG=3.11\nFROM python:3.12-slim@${D}\n`,
    ],
    ['a quoted image', 'FROM "python:3.12-slim" AS app\n', `FROM python:3.12-slim@${D} AS app\n`],
    ['the fully qualified name matches the familiar one', 'FROM docker.io/library/python:3.12-slim\n', `FROM docker.io/library/python:3.12-slim@${D}\n`],
    ['a FROM continued over lines with a comment inside', 'FROM \\\n  # which\n  python:3.12-slim \\\n  AS app\n', `FROM \\\n  # which\n  python:3.12-slim@${D} \\\n  AS app\n`],
    ['a pin in the file is kept', `FROM python:3.12-slim@${OLD}\n`, `FROM python:3.12-slim@${OLD}\n`],
    ['another tag of the same repository is another base', 'FROM python:3.13-slim\n', 'FROM python:3.13-slim\n'],
    ['heredoc bodies are not instructions', 'FROM alpine:3\nRUN <<EOF\nFROM python:3.12-slim\nEOF\n', 'FROM alpine:3\nRUN <<EOF\nFROM python:3.12-slim\nEOF\n'],
  ];
  for (const [name, input, expected] of table) {
    it(name, () => assert.equal(pinned(input, { buildArgs: { TAG: '3.12-slim' } }), expected));
  }

  it('expands with the build args the build gets (compose args, --build-arg)', () => {
    const text = 'ARG BASE=python:3.11\nFROM $BASE\n';
    assert.equal(pinned(text), text, 'the default is not the approved base');
    assert.equal(pinned(text, { buildArgs: { BASE: 'python:3.12-slim' } }), `ARG BASE=python:3.11\nFROM python:3.12-slim@${D}\n`);
  });

  it('an image without a tag is the approved :latest', () => {
    assert.equal(pinned('FROM 127.0.0.1:5000/base\n', {}, { ref: '127.0.0.1:5000/base:latest', digest: D }), `FROM 127.0.0.1:5000/base:latest@${D}\n`);
  });

  it('the pinned text is what the build pulls, rests on and labels', () => {
    const result = pinApprovedBase('FROM golang:1.22 AS build\nFROM python:3.12-slim\nCOPY --from=build /out /app\n', PY);
    assert.ok(result.ok);
    assert.deepEqual(result.lines, [2]);
    assert.equal(result.warning, null);
    assert.deepEqual(
      basesToPull(result.analysis).map((pull) => [pull.pullRef, pull.final]),
      [
        [`docker.io/library/python@${D}`, true],
        ['docker.io/library/golang:1.22', false],
      ],
    );
  });

  it('warns when the built stage does not rest on the approved base', () => {
    const other = pinApprovedBase('FROM python:3.13-slim\n', PY);
    assert.ok(other.ok);
    assert.deepEqual(other.lines, []);
    assert.equal(other.warning, `the plan approved python:3.12-slim@${D}, but the Dockerfile now builds on python:3.13-slim; built on that as its tag is now`);
    const builder = pinApprovedBase('FROM python:3.12-slim AS build\nFROM alpine:3\nCOPY --from=build /a /a\n', PY);
    assert.ok(builder.ok);
    assert.deepEqual(builder.lines, [1], 'the builder stage still builds on the approved digest');
    assert.match(builder.warning ?? '', /now builds on alpine:3/);
    const pin = pinApprovedBase(`FROM python:3.12-slim@${OLD}\n`, PY);
    assert.ok(pin.ok);
    assert.equal(pin.warning, `the Dockerfile pins python:3.12-slim@${OLD}; built on that pin, not on the approved ${D}`);
    const scratch = pinApprovedBase('FROM scratch\nCOPY a /a\n', PY);
    assert.ok(scratch.ok);
    assert.match(scratch.warning ?? '', /does not rest on an image/);
  });

  it('the target stage decides which base the build rests on', () => {
    const text = 'FROM python:3.12-slim AS runtime\nFROM golang:1.22 AS tools\n';
    const result = pinApprovedBase(text, PY, { target: 'runtime' });
    assert.ok(result.ok);
    assert.equal(result.warning, null);
    assert.equal(result.content, `FROM python:3.12-slim@${D} AS runtime\nFROM golang:1.22 AS tools\n`);
  });
});
