/**
 * Every setting basewatch reads, with its default and the form it takes. The one place a setting
 * is declared: the schema, `basewatch config`, and the README table all come from here.
 */
import path from 'node:path';
import { z } from 'zod';

const RegistryHost = z
  .string()
  .regex(/^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/, 'a registry host such as registry.lan:5000');

const AbsolutePath = z.string().refine((value) => path.isAbsolute(value), 'an absolute path');

export const SettingsSchema = z
  .object({
    insecureRegistries: z.array(RegistryHost).default([]),
    caFiles: z.array(AbsolutePath).default([]),
    registryTimeoutSeconds: z.number().int().min(1).max(300).default(15),
  })
  .strict();

export type Settings = z.infer<typeof SettingsSchema>;
export type SettingKey = keyof Settings;

export interface SettingDoc {
  readonly description: string;
  /** How `basewatch config set` reads the value. */
  readonly form: 'list' | 'number';
  readonly example: string;
}

export const SETTING_DOCS: Readonly<Record<SettingKey, SettingDoc>> = {
  insecureRegistries: {
    description:
      'Registries reached over plain HTTP (or HTTPS without verifying the certificate), like dockerd\'s insecure-registries. Loopback registries (127.0.0.1, localhost) are always plain HTTP.',
    form: 'list',
    example: 'registry.lan:5000,10.0.0.5:5000',
  },
  caFiles: {
    description: 'Extra CA certificates (PEM files) trusted for registry TLS, besides the system ones.',
    form: 'list',
    example: '/etc/ssl/corp-ca.pem',
  },
  registryTimeoutSeconds: {
    description: 'How long one registry request may take before it counts as failed.',
    form: 'number',
    example: '15',
  },
};

export const SETTING_KEYS = Object.keys(SETTING_DOCS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as string[]).includes(key);
}

export function defaultSettings(): Settings {
  return SettingsSchema.parse({});
}

/** Reads a value typed on the command line: a comma-separated or JSON list, or a number. */
export function parseSettingInput(key: SettingKey, raw: string): unknown {
  const form = SETTING_DOCS[key].form;
  const text = raw.trim();
  if (form === 'number') return text === '' ? Number.NaN : Number(text);
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return raw;
    }
  }
  return text === '' ? [] : text.split(',').map((item) => item.trim());
}

/** "insecureRegistries[1]: expected a registry host such as registry.lan:5000 (got "a b")". */
export function describeSettingsIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
  let got: unknown = input;
  for (const part of issue.path) got = (got as Record<PropertyKey, unknown> | undefined)?.[part as PropertyKey];
  if (issue.code === 'unrecognized_keys') {
    return `unknown setting ${issue.keys.map((key) => `"${key}"`).join(', ')}; known settings: ${SETTING_KEYS.join(', ')}`;
  }
  const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
  return `${where || 'settings'}: expected ${issue.message.replace(/^Invalid input: expected /, '')}${shown}`;
}
