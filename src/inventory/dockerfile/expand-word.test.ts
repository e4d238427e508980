import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandWord, lookupIn } from './expand-word.js';
import type { ExpandResult } from './expand-word.js';

const env = lookupIn(new Map([
  ['IMG', 'python'],
  ['TAG', '3.12-slim'],
  ['EMPTY', ''],
  ['PATH_LIKE', 'registry.corp:8443/team/app'],
]));

const ok = (value: string): ExpandResult => ({ ok: true, value });
const fail = (error: string): ExpandResult => ({ ok: false, error });

const cases: Array<[word: string, expected: ExpandResult, escapeChar?: string]> = [
  ['plain:1', ok('plain:1')],
  ['$IMG:$TAG', ok('python:3.12-slim')],
  ['${IMG}:${TAG}', ok('python:3.12-slim')],
  ['$UNSET', ok('')],
  ['$IMG-$', ok('python-$')],
  ['a$1b', ok('ab')],
  ['${UNSET:-x}|${EMPTY:-x}|${TAG:-x}', ok('x|x|3.12-slim')],
  ['${UNSET-x}|${EMPTY-x}|${TAG-x}', ok('x||3.12-slim')],
  ['${UNSET:+x}|${EMPTY:+x}|${TAG:+x}', ok('||x')],
  ['${UNSET+x}|${EMPTY+x}|${TAG+x}', ok('|x|x')],
  ['${UNSET:-${IMG}:${TAG}}', ok('python:3.12-slim')],
  ['${UNSET:-"a b"}', ok('a b')],
  ['${TAG%-*}', ok('3.12')],
  ['${TAG%%.*}', ok('3')],
  ['${TAG#*.}', ok('12-slim')],
  ['${PATH_LIKE##*/}', ok('app')],
  ['${TAG/-slim/-alpine}', ok('3.12-alpine')],
  ['${TAG//[.]/_}', ok('3_12-slim')],
  ['${TAG%%[!0-9]*}', ok('3')],
  ['${TAG//./_}', ok('3_12-slim')],
  ['\\$IMG', ok('$IMG')],
  ['`$IMG', ok('$IMG'), '`'],
  ['C:\\app', ok('C:\\app'), '`'],
  ["'$IMG'", ok('$IMG')],
  ['"$IMG:$TAG"', ok('python:3.12-slim')],
  ['"a\\"b\\c"', ok('a"b\\c')],
  ['${UNSET:?must be set}', fail('UNSET: must be set')],
  ['${EMPTY:?}', fail('EMPTY: is not allowed to be empty')],
  ['${UNSET?}', fail('UNSET: is not allowed to be unset')],
  ['${TAG', fail("syntax error: missing '}'")],
  ['${TAG:-x', fail("syntax error: missing '}'")],
  ['${}', fail('syntax error: bad substitution')],
  ['${TAG:#x}', fail('unsupported modifier (:#) in substitution')],
  ['"open', fail('unexpected end of statement while looking for matching double-quote')],
  ["'open", fail('unexpected end of statement while looking for matching single-quote')],
];

describe('expandWord', () => {
  for (const [word, expected, escapeChar] of cases) {
    it(`${word}${escapeChar === undefined ? '' : ` (escape ${escapeChar})`}`, () => {
      assert.deepEqual(expandWord(word, env, escapeChar), expected);
    });
  }
});
