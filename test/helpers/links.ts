// What the truthful-links scenario tables (test/truthful-links*.test.ts) read back from basewatch:
// the `check --json` and `update --json` shapes they assert on, and the small steps they share.
import assert from 'node:assert/strict';
import { type BasewatchResult, docker, makeTempDir, runBasewatch } from './world.js';

export interface Candidate {
  ref: string;
  status: string;
  latest: string | null;
}
export interface ImageJson {
  name: string;
  id: string;
  status: string;
  reason: string;
  base: { ref: string; digest: string | null; via: string; localId: string | null; waitsOn?: string; pinned?: string | null; candidates?: Candidate[] } | null;
  source?: { dockerfile: string | null; compose: string | null; service: string | null } | null;
  copySources?: Array<{ ref: string; status: string }>;
  unlinkedClaims?: Array<{ compose: string; service: string; dockerfile: string | null; reason: string }>;
}
export interface CheckJson {
  images: ImageJson[];
  dockerfiles: Array<{ path: string; bases: Array<{ ref: string; pinned: string | null; status: string; reason: string }> }>;
}
export interface CycleJson {
  plan: Array<{ image: string; action: { kind: string }; why: string }>;
  actions: Array<{ target: string; kind: string; reason: string }>;
}

export function parse<T>(result: BasewatchResult, what: string): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    return assert.fail(`${what} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** `check --json --root ROOT TAG`: the image's entry, with the whole report beside it. */
export async function check(home: string, root: string, tag: string, env: Record<string, string> = {}): Promise<ImageJson & { report: CheckJson }> {
  const result = await runBasewatch(['check', '--json', '--root', root, tag], { home, env });
  const report = parse<CheckJson>(result, 'check');
  const image = report.images.find((entry) => entry.name === tag);
  assert.ok(image, `check reported no ${tag}: ${result.stdout}`);
  return { ...image, report };
}

/** `update --json [--dry-run] --root ROOT TAG...`. */
export async function update(home: string, root: string, tags: string | readonly string[], dryRun: boolean, env: Record<string, string> = {}): Promise<CycleJson> {
  const named = typeof tags === 'string' ? [tags] : tags;
  const result = await runBasewatch(['update', '--json', '--root', root, ...(dryRun ? ['--dry-run'] : []), ...named], { home, env });
  return parse<CycleJson>(result, 'update');
}

export async function idOf(ref: string): Promise<string> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

/** A basewatch home of its own with these settings. */
export async function settings(values: Record<string, string>): Promise<string> {
  const home = await makeTempDir('links-home');
  for (const [key, value] of Object.entries(values)) {
    const set = await runBasewatch(['config', 'set', key, value], { home });
    assert.equal(set.code, 0, set.stderr);
  }
  return home;
}

/** Text made safe to put in a RegExp. */
export const quoted = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
