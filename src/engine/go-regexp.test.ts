import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { searchProgram } from '../util/linear-match.js';
import { goRegexpToJs, goRegexpToProgram } from './go-regexp.js';

const compile = (source: string): RegExp => new RegExp(goRegexpToJs(source, (problem) => new Error(problem)), 'u');

describe('goRegexpToJs', () => {
  // Go source, input, whether Go's regexp.MatchString says it matches.
  const cases: Array<[string, string, boolean]> = [
    ['^a.b$', 'a\rb', true],
    ['^a.b$', 'a\nb', false],
    ['^a\\sb$', 'a\tb', true],
    ['^a\\sb$', 'a\vb', false],
    ['^a\\Sb$', 'a b', false],
    ['^\\x41\\x{42}\\103$', 'ABC', true],
    ['^\\Qa.b\\E$', 'a.b', true],
    ['^\\Qa.b\\E$', 'axb', false],
    ['^\\Aa\\z', 'a', true],
    ['^[]a]$', ']', true],
    ['^[^/]*$', 'a/b', false],
    ['^[[:upper:][:digit:]]$', 'Q', true],
    ['^[[:upper:][:digit:]]$', 'q', false],
    ['^[\\d-z]$', '-', true],
    ['^[a-c\\-]$', '-', true],
    ['^a?b$', 'ab', true],
    ['^(.*/)?x$', 'd/e/x', true],
    ['^a]$', 'a]', true],
    ['^[^a]$', '☺', true],
  ];
  for (const [source, input, matches] of cases) {
    it(`${source} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(input)}`, () => {
      assert.equal(compile(source).test(input), matches);
      // The linear-time program the .dockerignore matcher runs says the same.
      const program = goRegexpToProgram(source, (problem) => new Error(problem));
      assert.equal(searchProgram(program, [...input].map((ch) => ch.codePointAt(0) as number)) !== null, matches);
    });
  }

  it('rejects escapes Go rejects, and refuses those it cannot match as Go does', () => {
    for (const source of ['\\y', '\\8', '\\1a', '[\\b]', '\\', '[a', '[[:nope:]]']) assert.throws(() => compile(source), Error, source);
    for (const source of ['\\pL', '[\\S]', '[[:^alpha:]]']) assert.throws(() => compile(source), /basewatch does not match/, source);
  });
});
