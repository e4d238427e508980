/**
 * basewatch's memory between runs: the last check's report, the upstream digests seen (and when
 * each first appeared, for `minimumAge`), and the registries' rate-limit budgets. One JSON file,
 * written atomically; a file that does not parse is set aside with a warning, never fatal.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CheckReportSchema } from '../report/check-report-schema.js';
import { removeStaleTempFiles, writeFileAtomic } from './atomic-file.js';

export const UpstreamSeenSchema = z.object({
  ref: z.string(),
  platform: z.string(),
  /** What the tag resolved to (index or manifest digest). */
  digest: z.string(),
  /** The manifest for this platform. */
  platformDigest: z.string().nullable(),
  /** Image ID a pull of it gives (the manifest's config digest). */
  configDigest: z.string().nullable(),
  firstSeenAt: z.string(),
  checkedAt: z.string(),
});
export type UpstreamSeen = z.infer<typeof UpstreamSeenSchema>;

export const RateLimitSeenSchema = z.object({
  registry: z.string(),
  limit: z.number().nullable(),
  remaining: z.number().nullable(),
  windowSeconds: z.number().nullable(),
  seenAt: z.string(),
});
export type RateLimitSeen = z.infer<typeof RateLimitSeenSchema>;

export const StateSchema = z.object({
  version: z.literal(1),
  lastCheck: z.object({ at: z.string(), durationMs: z.number(), report: CheckReportSchema }).nullable(),
  /** Keyed by {@link upstreamKey}. */
  upstream: z.record(z.string(), UpstreamSeenSchema),
  registries: z.record(z.string(), RateLimitSeenSchema),
});
export type State = z.infer<typeof StateSchema>;

export const STATE_FILE_NAME = 'state.json';

export function emptyState(): State {
  return { version: 1, lastCheck: null, upstream: {}, registries: {} };
}

export function upstreamKey(ref: string, platform: string): string {
  return `${ref} ${platform}`;
}

export interface LoadedState {
  readonly state: State;
  /** Set when the file was unreadable and was moved aside. */
  readonly warning: string | null;
}

export async function loadState(file: string, now: Date = new Date()): Promise<LoadedState> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState(), warning: null };
    throw error;
  }
  let problem: string;
  try {
    const parsed = StateSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { state: parsed.data, warning: null };
    problem = `unexpected content (${parsed.error.issues[0]?.path.join('.') || 'root'}: ${parsed.error.issues[0]?.message ?? 'invalid'})`;
  } catch (error) {
    problem = `not valid JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  const aside = path.join(path.dirname(file), `${path.basename(file)}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`);
  await fs.rename(file, aside);
  return {
    state: emptyState(),
    warning: `state file ${file} was ${problem}; moved it to ${aside} and started afresh`,
  };
}

export async function saveState(file: string, state: State): Promise<void> {
  await removeStaleTempFiles(file);
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}
