import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDockerfile } from './analyze-dockerfile.js';
import type { AnalyzeOptions, DockerfileError, DockerfileImageUse, DockerfileStage } from './analyze-dockerfile.js';

// Target and build platform differ so a test can tell TARGET* from BUILD* args apart.
const PLATFORMS: AnalyzeOptions = {
  platform: { os: 'linux', architecture: 'amd64' },
  buildPlatform: { os: 'linux', architecture: 'arm64' },
};
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

/** An expected use; `written` defaults to `expanded`, other fields to "nothing special". */
function use(
  kind: DockerfileImageUse['kind'],
  line: number,
  stageIndex: number,
  expanded: string,
  ref: string | null,
  extra: Partial<DockerfileImageUse> = {},
): DockerfileImageUse {
  return { kind, written: expanded, expanded, ref, pinned: null, line, stage: null, stageIndex, platform: null, final: false, ...extra };
}

function stage(index: number, name: string | null, line: number, base: DockerfileStage['base']): DockerfileStage {
  return { index, name, line, base };
}

interface Case {
  name: string;
  dockerfile: string;
  options?: AnalyzeOptions;
  uses: DockerfileImageUse[];
  errors?: DockerfileError[];
  stages?: DockerfileStage[];
  targetStage?: number | null;
}

const cases: Case[] = [
  {
    name: 'single FROM with a tag is the final base',
    dockerfile: 'FROM python:3.12-slim\nRUN pip install flask\n',
    uses: [use('from', 1, 0, 'python:3.12-slim', 'docker.io/library/python:3.12-slim', { final: true })],
    stages: [stage(0, null, 1, { kind: 'image', useIndex: 0 })],
    targetStage: 0,
  },
  {
    name: 'empty file',
    dockerfile: '',
    uses: [],
    errors: [{ line: 1, message: 'no FROM instruction: a Dockerfile needs at least one build stage' }],
    stages: [],
    targetStage: null,
  },
  {
    name: 'only comments and blank lines',
    dockerfile: '# syntax=docker/dockerfile:1\n# FROM commented:out\n\n   # indented comment\n',
    uses: [],
    errors: [{ line: 1, message: 'no FROM instruction: a Dockerfile needs at least one build stage' }],
    targetStage: null,
  },
  {
    name: 'UTF-8 BOM does not shift lines or hide the FROM',
    dockerfile: '\ufeffFROM alpine:3.20\nRUN true\n',
    uses: [use('from', 1, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20', { final: true })],
  },
  {
    name: 'UTF-8 BOM before an escape directive',
    dockerfile: '\ufeff# escape=`\nFROM alpine:3.20 `\n    AS base\nFROM base\nRUN dir C:\\\n',
    uses: [use('from', 2, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20', { stage: 'base', final: true })],
    stages: [stage(0, 'base', 2, { kind: 'image', useIndex: 0 }), stage(1, null, 4, { kind: 'stage', stageIndex: 0 })],
  },
  {
    name: 'CRLF line endings with continuation and ARG',
    dockerfile: 'ARG TAG=3.20\r\nFROM alpine:${TAG} \\\r\n    AS base\r\nRUN echo hi\r\n\r\nFROM base\r\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx\r\n',
    uses: [
      use('from', 2, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20', { written: 'alpine:${TAG}', stage: 'base', final: true }),
      use('copy-from', 7, 1, 'nginx:1.27', 'docker.io/library/nginx:1.27'),
    ],
  },
  {
    name: 'escape directive: backtick continuations, backslashes are literal',
    dockerfile: [
      '# escape=`',
      'FROM mcr.microsoft.com/windows/servercore:ltsc2022 `',
      '    AS build',
      'RUN dir C:\\ `',
      '    && echo done',
      'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022',
      'COPY --from=build C:\\app C:\\app',
    ].join('\n'),
    uses: [
      use('from', 2, 0, 'mcr.microsoft.com/windows/servercore:ltsc2022', 'mcr.microsoft.com/windows/servercore:ltsc2022', { stage: 'build' }),
      use('from', 6, 1, 'mcr.microsoft.com/windows/nanoserver:ltsc2022', 'mcr.microsoft.com/windows/nanoserver:ltsc2022', { final: true }),
    ],
  },
  {
    name: 'escape directive after a comment is only a comment',
    dockerfile: '# build file\n# escape=`\nFROM alpine `\n    AS base\n',
    uses: [use('from', 3, 0, 'alpine', 'docker.io/library/alpine:latest', { final: true })],
    errors: [
      { line: 3, message: 'FROM takes one image and an optional "AS <name>", got "alpine `"' },
      { line: 4, message: 'unknown instruction "AS"' },
    ],
  },
  {
    name: 'invalid escape directive value',
    dockerfile: '# escape=x\nFROM alpine:3\n',
    uses: [use('from', 2, 0, 'alpine:3', 'docker.io/library/alpine:3', { final: true })],
    errors: [{ line: 1, message: 'invalid escape directive "x": the escape character must be \\ or `' }],
  },
  {
    name: 'comments and blank lines inside a FROM continuation',
    dockerfile: 'FROM \\\n  # the base image\n\n  python:3.12 \\\n  # its name\n  AS app\nRUN true\n',
    uses: [use('from', 1, 0, 'python:3.12', 'docker.io/library/python:3.12', { stage: 'app', final: true })],
  },
  {
    name: 'RUN heredoc whose body has FROM lines',
    dockerfile: [
      'FROM alpine:3.20 AS base',
      'RUN <<EOF',
      'FROM evil:1',
      'echo hi',
      'EOF',
      'RUN <<-"SCRIPT" bash',
      '\tFROM evil:2 AS x',
      '\tSCRIPT',
      'FROM base',
    ].join('\n'),
    uses: [use('from', 1, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20', { stage: 'base', final: true })],
    stages: [stage(0, 'base', 1, { kind: 'image', useIndex: 0 }), stage(1, null, 9, { kind: 'stage', stageIndex: 0 })],
  },
  {
    name: 'COPY heredocs (two at once) with FROM lines inside',
    dockerfile: [
      'FROM debian:12',
      'COPY <<EOF /etc/app.conf',
      'FROM evil:1',
      'EOF',
      'COPY <<A <<B /dest/',
      'FROM evil:2',
      'A',
      'FROM evil:3',
      'B',
      'COPY --from=busybox:1.36 /bin/busybox /bin/',
    ].join('\n'),
    uses: [
      use('from', 1, 0, 'debian:12', 'docker.io/library/debian:12', { final: true }),
      use('copy-from', 10, 0, 'busybox:1.36', 'docker.io/library/busybox:1.36'),
    ],
  },
  {
    name: 'ARG redeclared inside a stage does not change a later FROM',
    dockerfile: 'ARG TAG=3.11\nFROM python:${TAG} AS a\nARG TAG=3.12\nFROM python:${TAG}\n',
    uses: [
      use('from', 2, 0, 'python:3.11', 'docker.io/library/python:3.11', { written: 'python:${TAG}', stage: 'a' }),
      use('from', 4, 1, 'python:3.11', 'docker.io/library/python:3.11', { written: 'python:${TAG}', final: true }),
    ],
  },
  {
    name: 'build arg overrides a declared global ARG default',
    dockerfile: 'ARG BASE=python\nARG TAG=3.12-slim\nFROM ${BASE}:${TAG}\n',
    options: { buildArgs: { TAG: '3.13-alpine' } },
    uses: [use('from', 3, 0, 'python:3.13-alpine', 'docker.io/library/python:3.13-alpine', { written: '${BASE}:${TAG}', final: true })],
  },
  {
    name: 'undeclared build arg is not visible to FROM',
    dockerfile: 'FROM python:${TAG:-3.10}\n',
    options: { buildArgs: { TAG: '3.13' } },
    uses: [use('from', 1, 0, 'python:3.10', 'docker.io/library/python:3.10', { written: 'python:${TAG:-3.10}', final: true })],
  },
  {
    name: 'global ARG default may use an earlier global ARG',
    dockerfile: 'ARG REGISTRY=ghcr.io/acme\nARG IMAGE=$REGISTRY/base\nFROM $IMAGE:2\n',
    uses: [use('from', 3, 0, 'ghcr.io/acme/base:2', 'ghcr.io/acme/base:2', { written: '$IMAGE:2', final: true })],
  },
  {
    name: '${VAR:-x} and ${VAR-x} differ for an ARG declared empty',
    dockerfile: 'ARG EMPTY=\nFROM node:${EMPTY:-20} AS a\nFROM node${EMPTY-:18}:22 AS b\nFROM node:${UNSET-21}\n',
    uses: [
      use('from', 2, 0, 'node:20', 'docker.io/library/node:20', { written: 'node:${EMPTY:-20}', stage: 'a' }),
      use('from', 3, 1, 'node:22', 'docker.io/library/node:22', { written: 'node${EMPTY-:18}:22', stage: 'b' }),
      use('from', 4, 2, 'node:21', 'docker.io/library/node:21', { written: 'node:${UNSET-21}', final: true }),
    ],
  },
  {
    name: '${VAR:+x}, ${VAR+x} and $VAR forms',
    dockerfile: 'ARG SLIM=1\nARG IMG=python\nARG EMPTY=\nFROM $IMG:3.12${SLIM:+-slim} AS a\nFROM $IMG:3.12${NOPE:+-slim}${EMPTY+-bookworm}\n',
    uses: [
      use('from', 4, 0, 'python:3.12-slim', 'docker.io/library/python:3.12-slim', { written: '$IMG:3.12${SLIM:+-slim}', stage: 'a' }),
      use('from', 5, 1, 'python:3.12-bookworm', 'docker.io/library/python:3.12-bookworm', {
        written: '$IMG:3.12${NOPE:+-slim}${EMPTY+-bookworm}',
        final: true,
      }),
    ],
  },
  {
    name: 'escaped dollar is not expanded and the result is reported as invalid',
    dockerfile: 'ARG TAG=1\nFROM registry.local/app:\\$TAG\n',
    uses: [use('from', 2, 0, 'registry.local/app:$TAG', null, { written: 'registry.local/app:\\$TAG' })],
    errors: [
      {
        line: 2,
        message:
          'FROM image "registry.local/app:\\$TAG" (expanded to "registry.local/app:$TAG") is not a valid image reference: invalid tag "$TAG" in "registry.local/app:$TAG"',
      },
    ],
    stages: [stage(0, null, 2, { kind: 'invalid' })],
  },
  {
    name: 'quotes are removed and single quotes stop expansion',
    dockerfile: 'ARG TAG="3.20"\nARG LITERAL=\'${TAG}\'\nFROM "alpine:${TAG}" AS a\nFROM alpine:$LITERAL\n',
    uses: [
      use('from', 3, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20', { written: '"alpine:${TAG}"', stage: 'a' }),
      use('from', 4, 1, 'alpine:${TAG}', null, { written: 'alpine:$LITERAL' }),
    ],
    errors: [
      {
        line: 4,
        message: 'FROM image "alpine:$LITERAL" (expanded to "alpine:${TAG}") is not a valid image reference: invalid tag "${TAG}" in "alpine:${TAG}"',
      },
    ],
  },
  {
    name: 'invalid reference after expansion names what was written',
    dockerfile: 'ARG VERSION\nFROM python:${VERSION}\n',
    uses: [use('from', 2, 0, 'python:', null, { written: 'python:${VERSION}' })],
    errors: [
      {
        line: 2,
        message: 'FROM image "python:${VERSION}" (expanded to "python:") is not a valid image reference: invalid tag "" in "python:"',
      },
    ],
    stages: [stage(0, null, 2, { kind: 'invalid' })],
    targetStage: 0,
  },
  {
    name: 'unterminated ${ is an expansion error',
    dockerfile: 'FROM python:${TAG\n',
    uses: [use('from', 1, 0, 'python:${TAG', null)],
    errors: [{ line: 1, message: 'cannot expand FROM image "python:${TAG": syntax error: missing \'}\'' }],
  },
  {
    name: '--platform=$BUILDPLATFORM and TARGETARCH in the image',
    dockerfile: [
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build',
      'ARG TARGETARCH',
      'FROM --platform=${TARGETPLATFORM} ghcr.io/acme/runtime:1-${TARGETARCH}',
      'COPY --from=build /out /app',
    ].join('\n'),
    uses: [
      use('from', 1, 0, 'golang:1.22', 'docker.io/library/golang:1.22', { stage: 'build', platform: 'linux/arm64' }),
      use('from', 3, 1, 'ghcr.io/acme/runtime:1-amd64', 'ghcr.io/acme/runtime:1-amd64', {
        written: 'ghcr.io/acme/runtime:1-${TARGETARCH}',
        platform: 'linux/amd64',
        final: true,
      }),
    ],
  },
  {
    name: 'TARGETVARIANT in the image and a global ARG defaulting to it',
    dockerfile: 'ARG VARIANT=${TARGETVARIANT}\nFROM --platform=linux/arm/v7 arm32${VARIANT}/debian:12\n',
    options: { platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, buildPlatform: { os: 'linux', architecture: 'amd64' } },
    uses: [
      use('from', 2, 0, 'arm32v7/debian:12', 'docker.io/arm32v7/debian:12', {
        written: 'arm32${VARIANT}/debian:12',
        platform: 'linux/arm/v7',
        final: true,
      }),
    ],
  },
  {
    name: 'stage aliases with mixed case, lowercase from/as keywords',
    dockerfile: [
      'from node:20-alpine as Deps',
      'RUN npm ci',
      'FROM DEPS AS Build',
      'from gcr.io/distroless/nodejs20-debian12',
      'COPY --from=deps /app/node_modules ./node_modules',
      'copy --from=bUILD /app/dist ./dist',
    ].join('\n'),
    uses: [
      use('from', 1, 0, 'node:20-alpine', 'docker.io/library/node:20-alpine', { stage: 'Deps' }),
      use('from', 4, 2, 'gcr.io/distroless/nodejs20-debian12', 'gcr.io/distroless/nodejs20-debian12:latest', { final: true }),
    ],
    stages: [
      stage(0, 'Deps', 1, { kind: 'image', useIndex: 0 }),
      stage(1, 'Build', 3, { kind: 'stage', stageIndex: 0 }),
      stage(2, null, 4, { kind: 'image', useIndex: 1 }),
    ],
  },
  {
    name: 'FROM stage chain with a target option',
    dockerfile: 'FROM debian:12 AS base\nFROM base AS dev\nFROM dev AS test\nFROM alpine:3.20 AS prod\n',
    options: { target: 'TEST' },
    uses: [
      use('from', 1, 0, 'debian:12', 'docker.io/library/debian:12', { stage: 'base', final: true }),
      use('from', 4, 3, 'alpine:3.20', 'docker.io/library/alpine:3.20', { stage: 'prod' }),
    ],
    targetStage: 2,
  },
  {
    name: 'same chain without target builds the last stage',
    dockerfile: 'FROM debian:12 AS base\nFROM base AS dev\nFROM alpine:3.20 AS prod\n',
    uses: [
      use('from', 1, 0, 'debian:12', 'docker.io/library/debian:12', { stage: 'base' }),
      use('from', 3, 2, 'alpine:3.20', 'docker.io/library/alpine:3.20', { stage: 'prod', final: true }),
    ],
    targetStage: 2,
  },
  {
    name: 'unknown target stage',
    dockerfile: 'FROM debian:12 AS base\nFROM base AS dev\n',
    options: { target: 'release' },
    uses: [use('from', 1, 0, 'debian:12', 'docker.io/library/debian:12', { stage: 'base' })],
    errors: [{ line: 2, message: 'target stage "release" could not be found; stages are "base", "dev"' }],
    targetStage: null,
  },
  {
    name: 'FROM scratch final stage has no final use',
    dockerfile: 'FROM golang:1.22 AS build\nRUN go build -o /app\nFROM scratch\nCOPY --from=build /app /app\n',
    uses: [use('from', 1, 0, 'golang:1.22', 'docker.io/library/golang:1.22', { stage: 'build' })],
    stages: [stage(0, 'build', 1, { kind: 'image', useIndex: 0 }), stage(1, null, 3, { kind: 'scratch' })],
    targetStage: 1,
  },
  {
    name: 'digest pins with and without a tag',
    dockerfile: `FROM python:3.12@${DIGEST_A} AS a\nFROM ghcr.io/acme/base@${DIGEST_B}\n`,
    uses: [
      use('from', 1, 0, `python:3.12@${DIGEST_A}`, `docker.io/library/python:3.12@${DIGEST_A}`, { stage: 'a', pinned: DIGEST_A }),
      use('from', 2, 1, `ghcr.io/acme/base@${DIGEST_B}`, `ghcr.io/acme/base@${DIGEST_B}`, { pinned: DIGEST_B, final: true }),
    ],
  },
  {
    name: 'COPY --from an image, a stage and an index',
    dockerfile: [
      'FROM golang:1.22 AS build',
      'FROM alpine:3.20',
      'COPY --from=build /out /bin/',
      'COPY --from=0 /go/bin /go/bin',
      `COPY --chown=1:1 --from=docker.io/library/nginx:1.27@${DIGEST_A} /etc/nginx /etc/nginx`,
    ].join('\n'),
    uses: [
      use('from', 1, 0, 'golang:1.22', 'docker.io/library/golang:1.22', { stage: 'build' }),
      use('from', 2, 1, 'alpine:3.20', 'docker.io/library/alpine:3.20', { final: true }),
      use('copy-from', 5, 1, `docker.io/library/nginx:1.27@${DIGEST_A}`, `docker.io/library/nginx:1.27@${DIGEST_A}`, { pinned: DIGEST_A }),
    ],
  },
  {
    name: 'COPY --from a stage defined later and an out-of-range index',
    dockerfile: 'FROM alpine:3.20\nCOPY --from=tools /x /x\nCOPY --from=5 /y /y\nFROM busybox:1.36 AS tools\n',
    options: { target: 'tools' },
    uses: [
      use('from', 1, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20'),
      use('from', 4, 1, 'busybox:1.36', 'docker.io/library/busybox:1.36', { stage: 'tools', final: true }),
    ],
    errors: [{ line: 3, message: 'COPY --from "5" refers to stage index 5, but there are only 2 stages' }],
    targetStage: 1,
  },
  {
    name: 'RUN --mount from an image (cache) and from a stage (bind)',
    dockerfile: [
      'FROM node:20 AS deps',
      'FROM node:20-slim',
      'RUN --mount=type=cache,from=ghcr.io/acme/cache:1,target=/x \\',
      '    --mount=type=bind,from=DEPS,source=/app,target=/deps \\',
      '    --mount=type=secret,id=npmrc \\',
      '    npm run build',
      'RUN --mount="FROM=busybox:1.36,type=bind,target=/bb" /bb/bin/true',
    ].join('\n'),
    uses: [
      use('from', 1, 0, 'node:20', 'docker.io/library/node:20', { stage: 'deps' }),
      use('from', 2, 1, 'node:20-slim', 'docker.io/library/node:20-slim', { final: true }),
      use('mount-from', 3, 1, 'ghcr.io/acme/cache:1', 'ghcr.io/acme/cache:1'),
      use('mount-from', 7, 1, 'busybox:1.36', 'docker.io/library/busybox:1.36'),
    ],
  },
  {
    name: 'registry hosts with ports',
    dockerfile: 'FROM localhost:5000/base:1 AS a\nFROM registry.corp:8443/x\nCOPY --from=registry.corp:8443/team/tools:2 /t /t\n',
    uses: [
      use('from', 1, 0, 'localhost:5000/base:1', 'localhost:5000/base:1', { stage: 'a' }),
      use('from', 2, 1, 'registry.corp:8443/x', 'registry.corp:8443/x:latest', { final: true }),
      use('copy-from', 3, 1, 'registry.corp:8443/team/tools:2', 'registry.corp:8443/team/tools:2'),
    ],
  },
  {
    name: 'COPY --from and mount from use the stage ARG/ENV scope, not the global one',
    dockerfile: [
      'ARG TOOLS=golang:1.22',
      'FROM alpine:3.20',
      'COPY --from=${TOOLS:-busybox:1.36} /a /a',
      'ARG TOOLS',
      'COPY --from=${TOOLS} /b /b',
      'ENV CACHE_IMAGE=ghcr.io/acme/cache:${TOOLS#golang:}',
      'RUN --mount=type=cache,from=$CACHE_IMAGE,target=/c true',
    ].join('\n'),
    uses: [
      use('from', 2, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20', { final: true }),
      use('copy-from', 3, 0, 'busybox:1.36', 'docker.io/library/busybox:1.36', { written: '${TOOLS:-busybox:1.36}' }),
      use('copy-from', 5, 0, 'golang:1.22', 'docker.io/library/golang:1.22', { written: '${TOOLS}' }),
      use('mount-from', 7, 0, 'ghcr.io/acme/cache:1.22', 'ghcr.io/acme/cache:1.22', { written: '$CACHE_IMAGE' }),
    ],
  },
  {
    name: 'a build arg reaches COPY --from only after the stage declares the ARG',
    dockerfile: 'FROM alpine:3.20\nCOPY --from=${HELPER:-busybox:1.36} /a /a\nARG HELPER=ignored:1\nCOPY --from=${HELPER:-busybox:1.36} /b /b\n',
    options: { buildArgs: { HELPER: 'ghcr.io/acme/helper:7' } },
    uses: [
      use('from', 1, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20', { final: true }),
      use('copy-from', 2, 0, 'busybox:1.36', 'docker.io/library/busybox:1.36', { written: '${HELPER:-busybox:1.36}' }),
      use('copy-from', 4, 0, 'ghcr.io/acme/helper:7', 'ghcr.io/acme/helper:7', { written: '${HELPER:-busybox:1.36}' }),
    ],
  },
  {
    name: 'values that expand to nothing',
    dockerfile: 'ARG BASE\nFROM $BASE\nCOPY --from=$NOPE /a /a\nCOPY --from= /b /b\n',
    uses: [use('from', 2, 0, '', null, { written: '$BASE' })],
    errors: [
      { line: 2, message: 'FROM image "$BASE" (expanded to "") is not a valid image reference: empty image reference' },
      { line: 3, message: 'COPY --from "$NOPE" expands to an empty value' },
      { line: 4, message: 'COPY --from needs a stage name, stage index or image' },
    ],
    stages: [stage(0, null, 2, { kind: 'invalid' })],
  },
  {
    name: 'ENV is inherited through FROM <stage>',
    dockerfile: 'FROM alpine:3.20 AS base\nENV HELPER=busybox:1.36\nFROM base\nCOPY --from=$HELPER /bin/busybox /bin/\n',
    uses: [
      use('from', 1, 0, 'alpine:3.20', 'docker.io/library/alpine:3.20', { stage: 'base', final: true }),
      use('copy-from', 4, 1, 'busybox:1.36', 'docker.io/library/busybox:1.36', { written: '$HELPER' }),
    ],
  },
  {
    name: 'instruction before the first FROM',
    dockerfile: 'ARG TAG=3\nRUN echo too early\nENV X=1\nFROM alpine:$TAG\n',
    uses: [use('from', 4, 0, 'alpine:3', 'docker.io/library/alpine:3', { written: 'alpine:$TAG', final: true })],
    errors: [
      { line: 2, message: 'RUN before the first FROM: only ARG instructions may come before FROM' },
      { line: 3, message: 'ENV before the first FROM: only ARG instructions may come before FROM' },
    ],
  },
  {
    name: 'FROM without an image still yields the other stages',
    dockerfile: 'FROM\nFROM --platform=linux/amd64\nFROM alpine:3.20\n',
    uses: [use('from', 3, 2, 'alpine:3.20', 'docker.io/library/alpine:3.20', { final: true })],
    errors: [
      { line: 1, message: 'FROM needs an image: FROM [--platform=<platform>] <image> [AS <name>]' },
      { line: 2, message: 'FROM needs an image: FROM [--platform=<platform>] <image> [AS <name>]' },
    ],
    stages: [stage(0, null, 1, { kind: 'invalid' }), stage(1, null, 2, { kind: 'invalid' }), stage(2, null, 3, { kind: 'image', useIndex: 0 })],
  },
  {
    name: 'duplicate stage name (case-insensitive) keeps the first for references',
    dockerfile: 'FROM debian:12 AS build\nFROM alpine:3.20 AS BUILD\nFROM build\n',
    uses: [
      use('from', 1, 0, 'debian:12', 'docker.io/library/debian:12', { stage: 'build', final: true }),
      use('from', 2, 1, 'alpine:3.20', 'docker.io/library/alpine:3.20', { stage: 'BUILD' }),
    ],
    errors: [{ line: 2, message: 'duplicate stage name "BUILD": already used by the stage on line 1' }],
  },
  {
    name: 'uppercase image and invalid stage name',
    dockerfile: 'FROM Ubuntu:22.04 AS 1st\n',
    uses: [use('from', 1, 0, 'Ubuntu:22.04', null, { stage: '1st' })],
    errors: [
      { line: 1, message: 'invalid stage name "1st": it must start with a letter and contain only letters, digits, "-", "_" and "."' },
      { line: 1, message: 'FROM image "Ubuntu:22.04" is not a valid image reference: invalid image reference "Ubuntu:22.04": repository name must be lowercase' },
    ],
  },
  {
    name: 'FROM cannot refer to a stage defined below it',
    dockerfile: 'FROM later\nFROM alpine:3.20 AS later\n',
    options: { target: null },
    uses: [
      use('from', 1, 0, 'later', 'docker.io/library/later:latest'),
      use('from', 2, 1, 'alpine:3.20', 'docker.io/library/alpine:3.20', { stage: 'later', final: true }),
    ],
  },
  {
    name: 'a stage named like its own image is not a self-reference',
    dockerfile: 'FROM node:20 AS node\nFROM node AS app\nFROM app\n',
    uses: [use('from', 1, 0, 'node:20', 'docker.io/library/node:20', { stage: 'node', final: true })],
    stages: [
      stage(0, 'node', 1, { kind: 'image', useIndex: 0 }),
      stage(1, 'app', 2, { kind: 'stage', stageIndex: 0 }),
      stage(2, null, 3, { kind: 'stage', stageIndex: 1 }),
    ],
  },
  {
    name: 'FROM alpine AS alpine uses the image alpine',
    dockerfile: 'FROM alpine AS alpine\nCOPY --from=alpine /etc/os-release /x\n',
    uses: [use('from', 1, 0, 'alpine', 'docker.io/library/alpine:latest', { stage: 'alpine', final: true })],
    errors: [{ line: 2, message: 'COPY --from "alpine" refers to its own stage' }],
  },
  {
    name: 'image names with double dashes are not flags',
    dockerfile: 'FROM --platform=linux/amd64 my--org/my--image:1 AS x\n',
    uses: [
      use('from', 1, 0, 'my--org/my--image:1', 'docker.io/my--org/my--image:1', { stage: 'x', platform: 'linux/amd64', final: true }),
    ],
  },
];

describe('analyzeDockerfile', () => {
  it('has a large table of cases', () => assert.ok(cases.length >= 30, `only ${cases.length} cases`));
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = analyzeDockerfile(testCase.dockerfile, { ...PLATFORMS, ...testCase.options });
      assert.deepEqual(result.uses, testCase.uses);
      assert.deepEqual(result.errors, testCase.errors ?? []);
      if (testCase.stages !== undefined) assert.deepEqual(result.stages, testCase.stages);
      if (testCase.targetStage !== undefined) assert.equal(result.targetStage, testCase.targetStage);
    });
  }

  it('never throws on non-string input from untyped callers', () => {
    const result = analyzeDockerfile(undefined as unknown as string);
    assert.deepEqual(result.uses, []);
    assert.equal(result.errors.length, 1);
  });

  it('defaults the platform args to linux on this machine', () => {
    const result = analyzeDockerfile('FROM --platform=$TARGETPLATFORM alpine:3-$BUILDOS\n');
    assert.match(result.uses[0]?.platform ?? '', /^linux\/[a-z0-9]+(\/v\d+)?$/);
    assert.equal(result.uses[0]?.expanded, 'alpine:3-linux');
  });
});
