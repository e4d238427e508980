/**
 * Every setting basewatch reads, with its default and the form it takes. The one place a setting
 * is declared: the schema, `basewatch config`, and the README table all come from here.
 */
import path from 'node:path';
import { z } from 'zod';
import { isValidCron } from '../util/cron.js';
import { parseDuration } from '../util/duration.js';
import { parseAllowedVersions } from '../refs/version-range.js';

const RegistryHost = z
  .string()
  .regex(/^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/, 'a registry host such as registry.lan:5000');

const AbsolutePath = z.string().refine((value) => path.isAbsolute(value), 'an absolute path');

export const POLICIES = ['auto', 'rebase', 'rebuild', 'notify', 'pin'] as const;
export type Policy = (typeof POLICIES)[number];
const PolicySchema = z.enum(POLICIES);

/** A rule picks the policy for the images it matches; the first matching rule wins. */
export const PolicyRuleSchema = z
  .object({
    /** Glob over image names (`app:*`, `ghcr.io/me/*`), as in `ignore`. */
    image: z.string().min(1).optional(),
    /** Compose project name. */
    compose: z.string().min(1).optional(),
    /** Absolute folder: images built from a Dockerfile below it. */
    folder: AbsolutePath.optional(),
    policy: PolicySchema,
  })
  .strict()
  .refine((rule) => rule.image !== undefined || rule.compose !== undefined || rule.folder !== undefined, 'a rule with image, compose or folder');
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

const Duration = z.string().refine((value) => parseDuration(value) !== null, 'a duration such as 0, 30m, 1h or 2d');

export const SettingsSchema = z
  .object({
    roots: z.array(AbsolutePath).default([]),
    schedule: z.string().refine(isValidCron, 'a cron expression such as "0 */6 * * *"').default('0 */6 * * *'),
    policy: PolicySchema.default('auto'),
    policies: z.array(PolicyRuleSchema).default([]),
    ignore: z.array(z.string().min(1)).default([]),
    allowedVersions: z
      .array(
        z
          .object({
            image: z.string().min(1),
            versions: z.string().refine((value) => parseAllowedVersions(value).ok, 'a range such as ">=3.12 <3.14", "~3.12", "^3", "3.x" or a /regex/'),
          })
          .strict(),
      )
      .default([]),
    minimumAge: Duration.default('1h'),
    keepRollbacks: Duration.default('30d'),
    smokeTest: z.string().min(1).nullable().default(null),
    notifications: z.boolean().default(true),
    notifyWebhook: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).nullable().default(null),
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
  readonly form: 'list' | 'number' | 'string' | 'nullable-string' | 'boolean' | 'json';
  readonly example: string;
}

export const SETTING_DOCS: Readonly<Record<SettingKey, SettingDoc>> = {
  roots: {
    description: 'Folders the daemon watches for Dockerfiles and compose files (`basewatch watch DIR` / `unwatch DIR` edit this).',
    form: 'list',
    example: '/home/me/src',
  },
  schedule: {
    description: 'When the daemon checks the registries: a cron expression in local time.',
    form: 'string',
    example: '"0 */6 * * *"',
  },
  policy: {
    description: 'What to do with an outdated image no rule in `policies` matches: auto (rebase when safe, else rebuild when the Dockerfile is known, else report), rebase, rebuild, notify (only report) or pin.',
    form: 'string',
    example: 'auto',
  },
  policies: {
    description: 'Rules choosing the policy per image glob, compose project or folder; the first match wins. A JSON list of {"image"|"compose"|"folder": …, "policy": …}.',
    form: 'json',
    example: '\'[{"image":"app:*","policy":"rebuild"}]\'',
  },
  ignore: {
    description: 'Image globs basewatch never checks or touches.',
    form: 'list',
    example: '"test-*,*:scratch"',
  },
  allowedVersions: {
    description: 'Which newer version tags to propose per base image glob: a semver-like range or a /regex/ (Renovate style). Without a rule, newer minors and majors are reported; basewatch never acts on them by itself.',
    form: 'json',
    example: '\'[{"image":"python","versions":"<3.14"}]\'',
  },
  minimumAge: {
    description: 'How long a new upstream digest must have been seen before basewatch acts on it, so multi-arch pushes settle. 0 acts at once.',
    form: 'string',
    example: '1h',
  },
  keepRollbacks: {
    description: 'How long `basewatch prune` keeps the basewatch-rollback:* images a rebase or rebuild left for `basewatch rollback`, counted from the move. 0 prunes them all.',
    form: 'string',
    example: '14d',
  },
  smokeTest: {
    description: 'A shell command run in a container of the new image before its tags move; if it fails, the tags stay where they were. Unset: none.',
    form: 'nullable-string',
    example: '"python -c \'import app\'"',
  },
  notifications: {
    description: 'Desktop notifications from the daemon.',
    form: 'boolean',
    example: 'false',
  },
  notifyWebhook: {
    description: 'An http(s) URL the daemon POSTs each notification to as JSON. Unset: none.',
    form: 'nullable-string',
    example: 'https://ntfy.sh/my-topic',
  },
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
  if (form === 'string') return text;
  if (form === 'nullable-string') return text === '' ? null : raw;
  if (form === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (form === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
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
  const key = where || 'settings';
  // zod's own words ("Invalid input: expected boolean, received string", "Too big: …") said in ours.
  if (issue.code === 'invalid_type') {
    const wanted: Record<string, string> = { boolean: 'true or false', number: 'a number', string: 'a text value', array: 'a list (comma-separated, or a JSON array)', object: 'a JSON object' };
    return `${key}: expected ${wanted[issue.expected] ?? issue.expected}${shown}`;
  }
  if (issue.code === 'too_big' || issue.code === 'too_small') {
    const bound = issue.code === 'too_big' ? `at most ${String(issue.maximum)}` : `at least ${String(issue.minimum)}`;
    return `${key}: expected ${issue.origin === 'number' ? 'a number' : 'a value'} ${bound}${shown}`;
  }
  if (issue.code === 'invalid_value') {
    // zod's own words ("Invalid option: expected one of …") read badly after "expected".
    return `${where || 'settings'}: expected one of ${issue.values.map((value) => String(value)).join(', ')}${shown}`;
  }
  return `${where || 'settings'}: expected ${issue.message.replace(/^Invalid (?:input|option): expected /, '')}${shown}`;
}
