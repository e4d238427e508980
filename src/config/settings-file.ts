/**
 * Reading the settings file. Writes go through `conf` (config-store.ts); a read is one JSON parse
 * of the same file, checked by zod, so the daemon and the read-only commands do not load conf
 * and its ajv and semver (some 140 modules, ~10 MB of an idle daemon's memory) to read it.
 */
import path from 'node:path';
import { readBoundedFileSync } from '../util/read-bounded-file.js';
import { type Settings, SettingsSchema, describeSettingsIssue } from './settings.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const CONFIG_FILE_NAME = 'config.json';

export function configFilePath(configDir: string): string {
  return path.join(configDir, CONFIG_FILE_NAME);
}

/** The file's JSON object as stored (unchecked); {} when there is no file. */
export function readSettingsObject(configDir: string): Record<string, unknown> {
  const file = configFilePath(configDir);
  // Bounded, regular files only: a FIFO in its place would block every command, a link to
  // /dev/zero would fill the memory. The settings are the user's own: refused like bad JSON
  // (exit 2, the file named), never set aside.
  const read = readBoundedFileSync(file, 'settings');
  if (!read.ok) {
    if (read.problem === 'missing') return {};
    throw new ConfigError(`config file ${file} ${read.message}; replace it with a JSON file of settings or delete it`);
  }
  const text = read.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`config file ${file} is not valid JSON (${detail}); fix or delete it`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`config file ${file} is not a JSON object of settings; fix or delete it`);
  }
  return value as Record<string, unknown>;
}

/** Reads and checks the settings; a missing file gives the defaults. */
export function loadSettings(configDir: string): Settings {
  const raw = readSettingsObject(configDir);
  const parsed = SettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeSettingsIssue(issue, raw));
    throw new ConfigError(`config file ${configFilePath(configDir)}: ${problems.join('; ')}`);
  }
  return parsed.data;
}
