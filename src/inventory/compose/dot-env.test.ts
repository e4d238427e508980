import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDotEnv } from './dot-env.js';

describe('parseDotEnv', () => {
  const dotEnvCases: { name: string; content: string; env?: Record<string, string>; expected: Record<string, string> }[] = [
    {
      name: 'KEY=VAL, export prefix, YAML-style colon, comments and blank lines',
      content: '# comment\n\nexport A=1\nB = two words  \nC: yaml\n  # indented comment\nD=\n',
      expected: { A: '1', B: 'two words', C: 'yaml', D: '' },
    },
    {
      name: 'unquoted values end at #; quoted values keep it',
      content: 'A=x # note\nB="x # kept" # note\nC=\'y#z\'\n',
      expected: { A: 'x', B: 'x # kept', C: 'y#z' },
    },
    {
      name: 'single quotes are literal; double quotes expand escapes and variables',
      content: 'BASE=py\nS=\'${BASE}\\n\'\nD="${BASE}:\\n\\"q\\" \\$BASE"\nU=${BASE}-${MISSING:-d}\n',
      expected: { BASE: 'py', S: '${BASE}\\n', D: 'py:\n"q" $BASE', U: 'py-d' },
    },
    {
      name: 'multi-line double-quoted value and CRLF line ends',
      content: 'KEY="line1\nline2"\r\nNEXT=ok\r\n',
      expected: { KEY: 'line1\nline2', NEXT: 'ok' },
    },
    {
      name: 'bare KEY and ${VAR} fall back to env; malformed lines are skipped',
      content: 'FROM_ENV\nNOT_IN_ENV\nbad key=1\nX=${HOME}/x\n',
      env: { FROM_ENV: 'e', HOME: '/h' },
      expected: { FROM_ENV: 'e', X: '/h/x' },
    },
  ];
  for (const c of dotEnvCases) {
    it(c.name, () => {
      assert.deepEqual(parseDotEnv(c.content, c.env), c.expected);
    });
  }
});
