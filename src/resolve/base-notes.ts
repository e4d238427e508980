/**
 * What check says about a base beside its digest: newer version tags of the same flavour
 * (online, cached per schedule period) and end of life (from the shipped or refreshed table).
 */
import { type EolTable, loadEolTable } from './eol/eol-table.js';
import { eolFor } from './eol/eol-for.js';
import { type ImageRef, formatImageRef, parseImageRef } from '../refs/image-ref.js';
import type { RegistryClient } from '../registry/registry-client.js';
import type { BaseNotes } from '../report/check-report.js';
import { SingleFlight } from '../util/single-flight.js';
import { findNewerVersions } from './versions/newer-versions.js';
import { type AllowedVersionsRule, allowedVersionsFor, reportedProposals } from './versions/propose-newer.js';

export interface BaseNotesOptions {
  readonly cacheDir: string;
  readonly schedule: string;
  readonly allowedVersions: readonly AllowedVersionsRule[];
  readonly now: Date;
}

/**
 * How often the schedule runs, for "list a repository's tags at most once per period": read off
 * the common cron forms; anything else counts as the default six hours.
 */
export function schedulePeriodSeconds(schedule: string): number {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return 6 * 3600;
  const [minute, hour, day, month, weekday] = fields as [string, string, string, string, string];
  const every = (field: string): number | null => (/^\*\/(\d+)$/.test(field) ? Number(field.slice(2)) : field === '*' ? 1 : null);
  if (day !== '*' || month !== '*') return 24 * 3600;
  if (weekday !== '*') return 7 * 24 * 3600;
  if (/^\d+$/.test(minute) && /^\d+$/.test(hour)) return 24 * 3600;
  if (/^\d+$/.test(minute)) return (every(hour) ?? 6) * 3600;
  return (every(minute) ?? 60) * 60;
}

export interface BaseNoter {
  notes(ref: string): Promise<BaseNotes>;
}

const NONE: BaseNotes = { newer: null, newerReason: null, eol: null };

/** One noter per check: each base reference is looked at once however many images share it. */
export async function createBaseNoter(registry: RegistryClient | null, options: BaseNotesOptions): Promise<BaseNoter> {
  const { table } = await loadEolTable({ cacheDir: options.cacheDir }).catch(() => ({ table: undefined as EolTable | undefined }));
  const seen = new SingleFlight<BaseNotes>({ settled: 'remember' });
  const compute = async (ref: ImageRef): Promise<BaseNotes> => {
    const eol = eolFor(ref, options.now, table);
    if (registry === null) return { ...NONE, eol };
    const allowed = allowedVersionsFor(ref, options.allowedVersions);
    const found = await findNewerVersions(registry, { ...ref, digest: null }, {
      cacheDir: options.cacheDir,
      periodSeconds: schedulePeriodSeconds(options.schedule),
      now: options.now,
      ...(allowed?.ok ? { allowed: allowed.allowed } : {}),
    });
    if (!found.ok) return { newer: null, newerReason: found.message, eol };
    return { newer: reportedProposals(found.proposals).map((p) => ({ tag: p.tag, kind: p.kind })), newerReason: found.warning, eol };
  };
  return {
    notes(refText) {
      const parsed = parseImageRef(refText);
      if (!parsed.ok) return Promise.resolve(NONE);
      const key = formatImageRef({ ...parsed.ref, digest: null });
      return seen.run(key, () =>
        compute(parsed.ref).catch((error: unknown) => ({ ...NONE, newerReason: error instanceof Error ? error.message : String(error) })),
      );
    },
  };
}
