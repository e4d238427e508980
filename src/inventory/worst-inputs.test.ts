/**
 * A fixed corpus of the worst inputs for basewatch's parsers and matchers of local files (issue
 * 16): each must be answered within BOUND_MS, and with the answer the input calls for. Before the
 * linear-time matchers, `${v/*?*?…b/x}` took 21 s at 15 pairs, a `.dockerignore` pattern 2.7 s
 * per path, and deep `${` nesting overflowed the stack.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpolate, MAX_INTERPOLATION_NESTING } from './compose/interpolate.js';
import { parseDotEnv } from './compose/dot-env.js';
import { expandWord, MAX_EXPANSION_NESTING } from './dockerfile/expand-word.js';
import { analyzeDockerfile } from './dockerfile/analyze-dockerfile.js';
import { parseIgnoreRules } from '../engine/ignore-rules.js';

/** Per input. Generous for a loaded machine: the inputs took seconds to hours before. */
const BOUND_MS = 100;

/** The best of three runs, so a busy machine's scheduling does not fail the test; exponential work fails all three. */
function timed<T>(run: () => T): { value: T; ms: number } {
  let best = Number.POSITIVE_INFINITY;
  let value: T | undefined;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    value = run();
    best = Math.min(best, performance.now() - started);
  }
  return { value: value as T, ms: best };
}

const unset = (): undefined => undefined;
const longName = `${'b/'.repeat(200)}c`;

interface Case {
  readonly name: string;
  readonly run: () => unknown;
  readonly check: (value: unknown) => void;
}

const cases: Case[] = [
  // Compose interpolation.
  {
    name: 'compose: ${a:-${a:-…}} 20,000 deep',
    run: () => interpolate(`${'${a:-'.repeat(20_000)}x${'}'.repeat(20_000)}`, unset),
    check: (r) => assert.match((r as { error: string }).error, new RegExp(`nested more than ${MAX_INTERPOLATION_NESTING} deep`)),
  },
  {
    name: `compose: \${a:-…} exactly ${MAX_INTERPOLATION_NESTING} deep still works`,
    run: () => interpolate(`${'${a:-'.repeat(MAX_INTERPOLATION_NESTING)}x${'}'.repeat(MAX_INTERPOLATION_NESTING)}`, unset),
    check: (r) => assert.deepEqual(r, { ok: true, value: 'x' }),
  },
  {
    name: 'compose: 100,000 unclosed ${',
    run: () => interpolate('${a:-'.repeat(100_000), unset),
    check: (r) => assert.equal((r as { ok: boolean }).ok, false),
  },
  {
    name: 'compose: $a 100,000 times',
    run: () => interpolate('$a'.repeat(100_000), (name) => (name === 'a' ? 'b' : undefined)),
    check: (r) => assert.deepEqual(r, { ok: true, value: 'b'.repeat(100_000) }),
  },
  {
    name: 'compose .env: each value doubling the one before, 40 lines',
    run: () => parseDotEnv(['A0=xx', ...Array.from({ length: 40 }, (_, i) => `A${i + 1}=\${A${i}}\${A${i}}`)].join('\n')),
    // Values past the bound are left empty rather than built: 2^41 characters otherwise.
    check: (r) => assert.equal((r as Record<string, string>).A40, ''),
  },
  // Dockerfile word expansion.
  {
    name: 'Dockerfile: ${a:-${a:-…}} 20,000 deep',
    run: () => expandWord(`${'${a:-'.repeat(20_000)}x${'}'.repeat(20_000)}`, unset),
    check: (r) => assert.match((r as { error: string }).error, new RegExp(`nested more than ${MAX_EXPANSION_NESTING} deep`)),
  },
  {
    name: 'Dockerfile: ${v/*?*?…b/x} against 2,000 characters',
    run: () => expandWord(`\${v/${'*?'.repeat(40)}b/x}`, (name) => (name === 'v' ? 'a'.repeat(2_000) : undefined)),
    check: (r) => assert.deepEqual(r, { ok: true, value: 'a'.repeat(2_000) }),
  },
  {
    name: 'Dockerfile: ${v//*a*a…c/x} against 2,000 characters',
    run: () => expandWord(`\${v//${'*a'.repeat(40)}c/x}`, (name) => (name === 'v' ? 'a'.repeat(2_000) : undefined)),
    check: (r) => assert.deepEqual(r, { ok: true, value: 'a'.repeat(2_000) }),
  },
  {
    name: 'Dockerfile: ${v##*?*?…b} and ${v%%…} against 2,000 characters',
    run: () => [
      expandWord(`\${v##${'*?'.repeat(40)}b}`, (name) => (name === 'v' ? 'a'.repeat(2_000) : undefined)),
      expandWord(`\${v%%b${'?*'.repeat(40)}}`, (name) => (name === 'v' ? 'a'.repeat(2_000) : undefined)),
    ],
    check: (r) => assert.deepEqual(r, [{ ok: true, value: 'a'.repeat(2_000) }, { ok: true, value: 'a'.repeat(2_000) }]),
  },
  {
    name: 'Dockerfile: ARG values doubling 40 times',
    run: () =>
      analyzeDockerfile(
        ['ARG A0=xx', ...Array.from({ length: 40 }, (_, i) => `ARG A${i + 1}=$A${i}$A${i}`), 'FROM alpine:$A40'].join('\n'),
        {},
      ).errors.length > 0,
    check: (r) => assert.equal(r, true),
  },
  // .dockerignore matching.
  {
    name: '.dockerignore: **/**/…/*a against a 200-folder path',
    run: () => parseIgnoreRules(`${'**/'.repeat(60)}*a`).ignores(longName),
    check: (r) => assert.equal(r, false),
  },
  {
    name: '.dockerignore: *?*?…b against 2,000 characters',
    run: () => parseIgnoreRules(`${'*?'.repeat(60)}b`).ignores('a'.repeat(2_000)),
    check: (r) => assert.equal(r, false),
  },
  {
    name: '.dockerignore: b/**/*/**/*…x against a 200-folder path',
    run: () => [parseIgnoreRules(`b${'/**/*'.repeat(30)}x`).ignores(longName), parseIgnoreRules(`b${'/**/*'.repeat(30)}c`).ignores(longName)],
    check: (r) => assert.deepEqual(r, [false, true]),
  },
  {
    name: '.dockerignore: [ab]*[ab]*…c against 2,000 characters',
    run: () => parseIgnoreRules(`${'[ab]*'.repeat(60)}c`).ignores('ab'.repeat(1_000)),
    check: (r) => assert.equal(r, false),
  },
];

describe(`worst inputs: each answered within ${BOUND_MS} ms`, () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const { value, ms } = timed(testCase.run);
      testCase.check(value);
      assert.ok(ms < BOUND_MS, `${testCase.name}: ${ms.toFixed(1)} ms (bound ${BOUND_MS} ms)`);
    });
  }
});
