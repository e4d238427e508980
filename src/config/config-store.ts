/**
 * Changing the settings file, through `conf` (atomic writes, one JSON file under the config
 * folder). conf's own ajv schema is not used: zod checks the file once at the edge, so a bad value
 * is reported with the file, the key and the expected form instead of a generic schema message.
 * Reading it needs no conf: settings-file.ts.
 */
import fs from 'node:fs';
import Conf from 'conf';
import { type SettingKey, type Settings, SettingsSchema, describeSettingsIssue, parseSettingInput } from './settings.js';
import { ConfigError, configFilePath } from './settings-file.js';
import { checkPrivatePathSync, ensurePrivateDirSync } from '../util/private-path.js';

export { CONFIG_FILE_NAME, ConfigError, configFilePath, loadSettings } from './settings-file.js';

function openStore(configDir: string): Conf<Record<string, unknown>> {
  try {
    // Private: the file can hold a webhook URL with a token in it. The folder is private too, and
    // one that another user owns or may write to is refused.
    ensurePrivateDirSync(configDir);
    checkPrivatePathSync(configFilePath(configDir), 'file');
    return new Conf<Record<string, unknown>>({
      configFileMode: 0o600,
      projectName: 'basewatch',
      cwd: configDir,
      configName: 'config',
      // Keys like "a.b" are not ours to split; every setting is a top-level key.
      accessPropertiesByDotNotation: false,
      clearInvalidConfig: false,
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`config file ${configFilePath(configDir)} is not valid JSON (${detail}); fix or delete it`);
  }
}

/** Checks and stores one setting typed on the command line; the file is untouched when it is bad. */
export function setSetting(configDir: string, key: SettingKey, raw: string): Settings {
  const current = fs.existsSync(configFilePath(configDir)) ? { ...openStore(configDir).store } : {};
  const value = parseSettingInput(key, raw);
  if (typeof value === 'number' && Number.isNaN(value)) throw new ConfigError(`${key}: expected a number (got "${raw}")`);
  const next = { ...current, [key]: value };
  const parsed = SettingsSchema.safeParse(next);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => describeSettingsIssue(issue, next));
    throw new ConfigError(problems.join('; '));
  }
  openStore(configDir).set(key, parsed.data[key]);
  return parsed.data;
}

export function unsetSetting(configDir: string, key: SettingKey): void {
  if (fs.existsSync(configFilePath(configDir))) openStore(configDir).delete(key);
}
