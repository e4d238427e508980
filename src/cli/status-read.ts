/**
 * `status` reads what basewatch itself wrote (the state file, the history) without loading the
 * schemas (zod and the report's) that a full parse needs: a start as quick as a bare `node`. The
 * check here is of the shape `status` uses; anything else (a file of another version, a corrupt
 * one) goes the full way, which also sets a corrupt file aside.
 */
import path from 'node:path';
import type { CheckReport } from '../report/check-report.js';
import { readRegularFile } from '../inventory/read-regular-file.js';

/** Beyond these the full read decides (and sets an oversized file aside). */
const STATE_MAX_BYTES = 64 * 1024 * 1024;
const SMALL_MAX_BYTES = 16 * 1024 * 1024;

export interface StatusState {
  readonly lastCheck: { readonly at: string; readonly durationMs: number; readonly report: CheckReport } | null;
  readonly upstream: Readonly<Record<string, { readonly digest: string; readonly firstSeenAt: string }>>;
  readonly registries: Readonly<Record<string, { readonly registry: string; readonly limit: number | null; readonly remaining: number | null; readonly windowSeconds: number | null; readonly seenAt: string }>>;
}

export interface StatusAction {
  readonly kind: string;
  readonly image: string;
  readonly tags: readonly string[];
  readonly toId: string;
  readonly at: string;
  readonly details: Readonly<Record<string, unknown>>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const every = (value: unknown, check: (item: unknown) => boolean): boolean => Array.isArray(value) && value.every(check);

function isImage(value: unknown): boolean {
  if (!isObject(value)) return false;
  const base = value['base'];
  const baseOk = base === null || (isObject(base) && isString(base['ref']) && isString(base['via']));
  return isString(value['name']) && isStrings(value['tags']) && isString(value['id']) && isString(value['status']) && isString(value['reason']) && baseOk && (value['source'] === null || isObject(value['source']));
}

function isDockerfile(value: unknown): boolean {
  return isObject(value) && isString(value['path']) && every(value['bases'], (base) => isObject(base) && isString(base['ref']) && isString(base['status'])) && every(value['errors'], isObject) && isStrings(value['usedBy']);
}

function isReport(value: unknown): value is CheckReport {
  if (!isObject(value)) return false;
  return (
    (value['engine'] === null || isObject(value['engine'])) &&
    typeof value['offline'] === 'boolean' &&
    isStrings(value['roots']) &&
    every(value['images'], isImage) &&
    every(value['dockerfiles'], isDockerfile) &&
    every(value['compose'], (file) => isObject(file) && isString(file['path']) && every(file['services'], isObject)) &&
    every(value['registries'], isObject) &&
    every(value['errors'], (error) => isObject(error) && isString(error['where']) && isString(error['message']))
  );
}

/** The state as `status` needs it, or null when it is not plainly the shape basewatch writes. */
export function statusStateFrom(text: string): StatusState | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || value['version'] !== 1 || !isObject(value['upstream']) || !isObject(value['registries'])) return null;
  const last = value['lastCheck'];
  if (last !== null && !(isObject(last) && isString(last['at']) && typeof last['durationMs'] === 'number' && isReport(last['report']))) return null;
  const upstreamOk = Object.values(value['upstream']).every((seen) => isObject(seen) && isString(seen['digest']) && isString(seen['firstSeenAt']));
  const registriesOk = Object.values(value['registries']).every((seen) => isObject(seen) && isString(seen['registry']) && isString(seen['seenAt']));
  if (!upstreamOk || !registriesOk) return null;
  return value as unknown as StatusState;
}

/** The state file quickly; null when missing content needs the full read (absent: an empty state). */
export async function readStatusState(file: string): Promise<StatusState | null> {
  const text = await readRegularFile(file, STATE_MAX_BYTES);
  if (text === 'missing') return { lastCheck: null, upstream: {}, registries: {} };
  return text === null ? null : statusStateFrom(text);
}

/** The history's lines that are plainly whole (a torn last line after a crash is skipped). */
export async function readStatusActions(stateDir: string): Promise<StatusAction[]> {
  const text = await readRegularFile(path.join(stateDir, 'history.jsonl'), SMALL_MAX_BYTES);
  // Not a plain file (a FIFO in its place): nothing shown; the commands that write it say why.
  if (text === 'missing' || text === null) return [];
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return [];
    }
    if (!isObject(value) || !isString(value['kind']) || !isString(value['image']) || !isStrings(value['tags']) || !isString(value['toId']) || !isString(value['at'])) return [];
    // The whole line (fromId, keepTag…: `status --json` prints it), details defaulting as the schema does.
    return [{ ...value, kind: value['kind'], image: value['image'], tags: value['tags'], toId: value['toId'], at: value['at'], details: isObject(value['details']) ? value['details'] : {} }];
  });
}

/** `minimumAge` as the config file sets it (default 1h, as settings.ts says), or null when it cannot be read. */
export async function readMinimumAge(configDir: string): Promise<string | null> {
  const text = await readRegularFile(path.join(configDir, 'config.json'), SMALL_MAX_BYTES);
  if (text === 'missing') return DEFAULT_MINIMUM_AGE;
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (!isObject(value)) return null;
    const age = value['minimumAge'];
    return age === undefined ? DEFAULT_MINIMUM_AGE : isString(age) ? age : null;
  } catch {
    return null;
  }
}

/** settings.ts's default for minimumAge (a unit test keeps them equal). */
export const DEFAULT_MINIMUM_AGE = '1h';
