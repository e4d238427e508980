/**
 * basewatch's memory between runs: the last check's report, the upstream digests seen (and when
 * each first appeared, for `minimumAge`), and the registries' rate-limit budgets. One JSON file,
 * written atomically; a file that does not parse is set aside with a warning, never fatal.
 *
 * The daemon and the CLI (`basewatch check` run by hand) both write it: every change is a
 * read-modify-write through updateState, under a lock, so neither saves a copy it read before
 * the other's change. Readers need no lock (a rename replaces the file whole).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CheckReport } from '../report/check-report.js';
import { removeStaleTempFiles, writeFileAtomic } from '../util/atomic-file.js';
import { FileLockTimeoutError, withFileLock } from '../util/file-lock.js';
import { UnreadableFileError, readBoundedFile } from '../util/read-bounded-file.js';
import { UpstreamSeenSchema } from '../resolve/upstream-seen.js';

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
  lastCheck: z.object({ at: z.string(), durationMs: z.number(), report: CheckReport }).nullable(),
  /** Keyed by upstreamKey (resolve/upstream-seen). */
  upstream: z.record(z.string(), UpstreamSeenSchema),
  registries: z.record(z.string(), RateLimitSeenSchema),
});
export type State = z.infer<typeof StateSchema>;

export const STATE_FILE_NAME = 'state.json';

export function emptyState(): State {
  return { version: 1, lastCheck: null, upstream: {}, registries: {} };
}

/** The lock folder beside the state file that makes each read-modify-write whole. */
export const STATE_LOCK_NAME = 'state.lock';
/** A holder keeps the lock for one read and one atomic write: waiting this long means it is stuck. */
const STATE_LOCK_WAIT_MS = 30_000;

/**
 * Another process held the state file's lock for the whole wait: a basewatch that is stuck
 * (suspended with Ctrl-Z, a disk that hangs). The message says which file, who and what to do.
 */
export class StateLockTimeoutError extends Error {
  override readonly name = 'StateLockTimeoutError';

  constructor(
    readonly file: string,
    /** The lock's folder. */
    readonly lockDir: string,
    /** Who held it when we gave up (null when it kept changing hands). */
    readonly holderPid: number | null,
    readonly waitedMs: number,
  ) {
    const waited = `${Math.round(waitedMs / 1000)} s`;
    super(
      holderPid === null
        ? `other basewatch processes kept the state file ${file} busy for ${waited} (lock ${lockDir}); run this again`
        : `another basewatch (pid ${holderPid}) has held the state file ${file} for ${waited} (lock ${lockDir}): wait for it to finish, or if it is stuck (suspended with Ctrl-Z?) resume or stop it (\`kill ${holderPid}\`), then run this again`,
    );
  }
}

async function withStateLock<T>(file: string, run: () => Promise<T>): Promise<T> {
  const lockDir = path.join(path.dirname(file), STATE_LOCK_NAME);
  try {
    return await withFileLock(lockDir, run, { waitMs: STATE_LOCK_WAIT_MS });
  } catch (error) {
    if (!(error instanceof FileLockTimeoutError) || error.dir !== lockDir) throw error;
    throw new StateLockTimeoutError(file, lockDir, error.holder?.pid ?? null, error.waitedMs);
  }
}

export interface LoadedState {
  readonly state: State;
  /** Set when the file was unreadable and was moved aside. */
  readonly warning: string | null;
}

type StateRead = { readonly kind: 'state'; readonly state: State } | { readonly kind: 'corrupt'; readonly problem: string };

async function readState(file: string): Promise<StateRead> {
  // Bounded, regular files only: a FIFO, a folder or a link to /dev/zero in its place is set aside
  // like garbage, never read (a FIFO would block, /dev/zero would fill the memory).
  const read = await readBoundedFile(file, 'state');
  if (!read.ok) {
    if (read.problem === 'missing') return { kind: 'state', state: emptyState() };
    if (read.problem === 'unreadable') throw new UnreadableFileError(file, read.problem, read.message);
    return { kind: 'corrupt', problem: read.message.replace(/^is /, '') };
  }
  const text = read.text;
  try {
    const parsed = StateSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { kind: 'state', state: parsed.data };
    return { kind: 'corrupt', problem: `unexpected content (${parsed.error.issues[0]?.path.join('.') || 'root'}: ${parsed.error.issues[0]?.message ?? 'invalid'})` };
  } catch (error) {
    return { kind: 'corrupt', problem: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** The state as it is on disk, without the lock and without setting a corrupt file aside (null then). */
export async function peekState(file: string): Promise<State | null> {
  const read = await readState(file);
  return read.kind === 'state' ? read.state : null;
}

/** Reads the file, setting a corrupt one aside; only while holding the lock. */
async function loadStateLocked(file: string, now: Date): Promise<LoadedState> {
  const read = await readState(file);
  if (read.kind === 'state') return { state: read.state, warning: null };
  const aside = path.join(path.dirname(file), `${path.basename(file)}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`);
  await fs.rename(file, aside);
  return {
    state: emptyState(),
    warning: `state file ${file} was ${read.problem}; moved it to ${aside} and started afresh`,
  };
}

export async function loadState(file: string, now: Date = new Date()): Promise<LoadedState> {
  const read = await readState(file);
  if (read.kind === 'state') return { state: read.state, warning: null };
  // A rename moves whatever the name holds by then: without the lock, a writer's fresh file
  // that replaced the corrupt one meanwhile would be set aside in its place.
  return withStateLock(file, () => loadStateLocked(file, now));
}

/**
 * Applies `change` to the state as it is on disk now and saves the result, under the lock; returns
 * what was saved, and a warning when the file had to be set aside first. `change` must be pure
 * and quick: it runs while other writers wait.
 */
export async function updateState(file: string, change: (state: State) => State, now: Date = new Date()): Promise<LoadedState> {
  return withStateLock(file, async () => {
    const { state, warning } = await loadStateLocked(file, now);
    const next = change(state);
    await removeStaleTempFiles(file);
    await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
    return { state: next, warning };
  });
}
