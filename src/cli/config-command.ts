/** `basewatch config path|list|get|set|unset`. */
import { ConfigError, configFilePath, loadSettings, setSetting, unsetSetting } from '../config/config-store.js';
import fs from 'node:fs';
import path from 'node:path';
import { SETTING_DOCS, SETTING_KEYS, type SettingKey, defaultSettings, isSettingKey, parseSettingInput } from '../config/settings.js';
import { didYouMean } from '../refs/closest-names.js';
import { basewatchPaths } from '../config/paths.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { colorEnabled, createStyle } from './style.js';

export type ConfigAction =
  | { readonly kind: 'path' }
  | { readonly kind: 'list'; readonly json: boolean }
  | { readonly kind: 'get'; readonly key: string; readonly json: boolean }
  | { readonly kind: 'set'; readonly key: string; readonly value: string }
  | { readonly kind: 'unset'; readonly key: string };

function formatValue(value: unknown): string {
  if (value === null) return '(none)';
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)';
    return value.every((item) => typeof item === 'string') ? value.join(', ') : JSON.stringify(value);
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The first root that is not an existing folder, said with the close names beside it ("did you
 * mean"), or null. Relative entries are left to the settings check (it asks for absolute paths).
 */
export function missingFolder(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  for (const entry of value) {
    if (typeof entry !== 'string' || !path.isAbsolute(entry)) continue;
    let stat: fs.Stats | null = null;
    try {
      stat = fs.statSync(entry);
    } catch {
      stat = null;
    }
    if (stat?.isDirectory() === true) continue;
    if (stat !== null) return `${entry} is not a folder`;
    // The nearest folder above that exists: its entries are what was probably meant.
    let parent = path.dirname(entry);
    while (!fs.existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
    let siblings: string[] = [];
    try {
      siblings = fs.readdirSync(parent, { withFileTypes: true }).filter((dirent) => dirent.isDirectory()).map((dirent) => path.join(parent, dirent.name));
    } catch {
      siblings = [];
    }
    return `the folder ${entry} does not exist${didYouMean(entry, siblings)}`;
  }
  return null;
}

export function runConfigCommand(action: ConfigAction, io: CliIo): number {
  const err = createStyle(colorEnabled(io.stderr, io.env));
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const dir = basewatchPaths(io.env as NodeJS.ProcessEnv).config;
  const unknownKey = (key: string): number => {
    io.stderr.write(err.red(`basewatch config: unknown setting "${key}"; known settings: ${SETTING_KEYS.join(', ')}\n`));
    return EXIT.usage;
  };
  try {
    switch (action.kind) {
      case 'path':
        io.stdout.write(`${configFilePath(dir)}\n`);
        return EXIT.ok;
      case 'list': {
        const settings = loadSettings(dir);
        if (action.json) {
          io.stdout.write(`${JSON.stringify(settings, null, 2)}\n`);
          return EXIT.ok;
        }
        const defaults = defaultSettings();
        for (const key of SETTING_KEYS) {
          const isDefault = JSON.stringify(settings[key]) === JSON.stringify(defaults[key]);
          io.stdout.write(`${style.bold(key)} = ${formatValue(settings[key])}${isDefault ? style.dim(' (default)') : ''}\n`);
          io.stdout.write(style.dim(`    ${SETTING_DOCS[key].description}\n`));
        }
        return EXIT.ok;
      }
      case 'get': {
        if (!isSettingKey(action.key)) return unknownKey(action.key);
        const value = loadSettings(dir)[action.key];
        io.stdout.write(action.json ? `${JSON.stringify(value)}\n` : `${formatValue(value)}\n`);
        return EXIT.ok;
      }
      case 'set': {
        if (!isSettingKey(action.key)) return unknownKey(action.key);
        const key: SettingKey = action.key;
        if (key === 'roots') {
          const missing = missingFolder(parseSettingInput(key, action.value));
          if (missing !== null) {
            io.stderr.write(err.red(`basewatch config: roots: ${missing}; nothing was changed\n`));
            return EXIT.partial;
          }
        }
        const settings = setSetting(dir, key, action.value);
        io.stdout.write(`${key} = ${formatValue(settings[key])}\n`);
        return EXIT.ok;
      }
      case 'unset':
        if (!isSettingKey(action.key)) return unknownKey(action.key);
        unsetSetting(dir, action.key);
        io.stdout.write(`${action.key} reset to its default (${formatValue(defaultSettings()[action.key])})\n`);
        return EXIT.ok;
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const example = 'key' in action && isSettingKey(action.key) ? ` (for example: basewatch config set ${action.key} ${SETTING_DOCS[action.key].example})` : '';
    io.stderr.write(err.red(`basewatch config: ${error.message}${action.kind === 'set' ? example : ''}\n`));
    return EXIT.usage;
  }
}
