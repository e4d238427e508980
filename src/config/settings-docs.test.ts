import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { SETTING_KEYS, defaultSettings } from './settings.js';

it('the README documents every setting with its default', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const defaults = defaultSettings();
  for (const key of SETTING_KEYS) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
    assert.ok(row, `README has no row for ${key}`);
    const value = defaults[key];
    const shown = Array.isArray(value) ? (value.length === 0 ? 'none' : value.join(',')) : value === null ? 'none' : String(value);
    assert.ok(row.includes(shown), `README row for ${key} does not show its default ${shown}: ${row}`);
  }
});
