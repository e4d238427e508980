import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatImageRef } from '../../refs/image-ref.js';
import { type PinResolver, pinDockerfile } from './pin-dockerfile.js';
import { instructionWords } from './instruction-words.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;
const OLD = `sha256:${'0'.repeat(64)}`;

const DIGESTS: Record<string, string> = {
  'docker.io/library/python:3.12-slim': D1,
  'docker.io/library/node:22': D2,
  'docker.io/library/alpine:3.20': D3,
  'docker.io/library/alpine:latest': D3,
  'registry.lan:5000/base/app:2': D2,
};

const resolver: PinResolver = async (ref) => {
  const digest = DIGESTS[formatImageRef(ref)];
  return digest === undefined ? { ok: false, message: `registry: 404 tag or digest not found: ${ref.repository}:${ref.tag}` } : { ok: true, digest };
};

describe('pinDockerfile', () => {
  const table: Array<[string, string, string]> = [
    ['a plain FROM', 'FROM python:3.12-slim\nRUN true\n', `FROM python:3.12-slim@${D1}\nRUN true\n`],
    [
      'an ARG default feeding FROM (pinned in the ARG line, FROM untouched)',
      'ARG BASE=python:3.12-slim\nFROM ${BASE}\n',
      `ARG BASE=python:3.12-slim@${D1}\nFROM \${BASE}\n`,
    ],
    [
      'a quoted ARG default used by two FROMs and $VAR',
      'ARG  BASE="python:3.12-slim"  # base\nFROM $BASE AS a\nFROM ${BASE}\n',
      `ARG  BASE="python:3.12-slim@${D1}"  # base\nFROM $BASE AS a\nFROM \${BASE}\n`,
    ],
    [
      'CRLF line endings, comments and a BOM',
      '\uFEFF# syntax=docker/dockerfile:1\r\n# the base\r\nFROM  --platform=$BUILDPLATFORM   node:22   AS   build \r\nRUN echo hi\r\n',
      `\uFEFF# syntax=docker/dockerfile:1\r\n# the base\r\nFROM  --platform=$BUILDPLATFORM   node:22@${D2}   AS   build \r\nRUN echo hi\r\n`,
    ],
    [
      'multi-stage with COPY --from an image and a stage, and scratch',
      'FROM node:22 AS build\nRUN make\nFROM scratch\nCOPY --from=build /out /\nCOPY --from=alpine:3.20 /bin/busybox /bin/\nFROM build\n',
      `FROM node:22@${D2} AS build\nRUN make\nFROM scratch\nCOPY --from=build /out /\nCOPY --from=alpine:3.20@${D3} /bin/busybox /bin/\nFROM build\n`,
    ],
    [
      'a FROM continued over lines with a comment inside',
      'FROM \\\n  # which python\n  python:3.12-slim \\\n  AS app\n',
      `FROM \\\n  # which python\n  python:3.12-slim@${D1} \\\n  AS app\n`,
    ],
    ['an image without a tag gets :latest', 'FROM alpine\n', `FROM alpine:latest@${D3}\n`],
    ['an image on a registry with a port', 'FROM registry.lan:5000/base/app:2\n', `FROM registry.lan:5000/base/app:2@${D2}\n`],
    ['an already pinned, current image', `FROM python:3.12-slim@${D1}\n`, `FROM python:3.12-slim@${D1}\n`],
    ['a stale pin', `FROM python:3.12-slim@${OLD}\n`, `FROM python:3.12-slim@${D1}\n`],
    ['a stale pin in an ARG', `ARG BASE=python:3.12-slim@${OLD}\nFROM \${BASE}\n`, `ARG BASE=python:3.12-slim@${D1}\nFROM \${BASE}\n`],
    ['a digest without a tag (left alone)', `FROM python@${OLD}\n`, `FROM python@${OLD}\n`],
    ['the escape directive', '# escape=`\nFROM `\n  node:22\n', `# escape=\`\nFROM \`\n  node:22@${D2}\n`],
  ];
  for (const [name, input, expected] of table) {
    it(`pins ${name}, byte for byte, and a second run changes nothing`, async () => {
      const first = await pinDockerfile(input, resolver);
      assert.equal(first.content, expected);
      assert.deepEqual(first.problems, []);
      const second = await pinDockerfile(first.content, resolver);
      assert.equal(second.content, expected);
      assert.deepEqual(second.changes, []);
    });
  }

  it('reports what changed, on the line of the text that changed', async () => {
    const result = await pinDockerfile('ARG BASE=python:3.12-slim\nFROM ${BASE}\nFROM node:22\n', resolver);
    assert.deepEqual(result.changes, [
      { line: 1, image: 'docker.io/library/python:3.12-slim', from: 'python:3.12-slim', to: `python:3.12-slim@${D1}`, previous: null, via: 'arg' },
      { line: 3, image: 'docker.io/library/node:22', from: 'node:22', to: `node:22@${D2}`, previous: null, via: 'from' },
    ]);
  });

  it('leaves what it cannot pin alone and says why', async () => {
    const input = 'ARG PY=3.12\nFROM python:${PY}-slim\nFROM nothing/here:1\nARG X\nFROM ${X:-alpine}\n';
    const result = await pinDockerfile(input, resolver);
    assert.equal(result.content, input);
    assert.deepEqual(result.problems.map((p) => [p.line, p.kind]), [[2, 'unpinnable'], [3, 'lookup'], [5, 'unpinnable']]);
    assert.match(result.problems[0]?.message ?? '', /assembled from ARGs/);
    assert.match(result.problems[1]?.message ?? '', /cannot pin nothing\/here:1: registry: 404/);
  });

  it('moves only existing pins when asked (the daemon\'s pin policy)', async () => {
    const input = `FROM node:22\nFROM python:3.12-slim@${OLD}\n`;
    const result = await pinDockerfile(input, resolver, { onlyPinned: true });
    assert.equal(result.content, `FROM node:22\nFROM python:3.12-slim@${D1}\n`);
    assert.deepEqual(result.changes.map((c) => c.previous), [OLD]);
  });

  it('looks each tag up once', async () => {
    let calls = 0;
    const counting: PinResolver = async (ref) => {
      calls++;
      return resolver(ref);
    };
    await pinDockerfile('FROM node:22 AS a\nFROM node:22 AS b\nCOPY --from=node:22 /x /y\n', counting);
    assert.equal(calls, 1);
  });
});

describe('instructionWords', () => {
  it('splits on blanks, keeps quoted blanks, follows continuations', () => {
    const text = 'RUN a\nCOPY --from="x y" \\\n # c\n  /a /b\nRUN z\n';
    assert.deepEqual(instructionWords(text, 2, '\\').map((w) => w.text), ['COPY', '--from="x y"', '/a', '/b']);
  });
});
