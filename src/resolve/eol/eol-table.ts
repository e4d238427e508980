/**
 * The end-of-life table: shipped as data/eol.json (dated), optionally refreshed by
 * `basewatch eol update` into the cache folder. Both go through one zod schema.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readBoundedFile, setFileAside } from '../../util/read-bounded-file.js';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

export const EolCycleSchema = z
  .object({
    /** `3.12`, `22`, `22.04`: how the project names the release line. */
    cycle: z.string().min(1),
    /** Last day of fixes in the images; null when not announced. */
    eol: IsoDate.nullable(),
    lts: z.boolean().optional(),
    /** Lower-case name used in tags: `bookworm`, `jammy`, `iron`. */
    codename: z.string().min(1).optional(),
    /** What to move to, when it is not simply a newer cycle (`eclipse-temurin:17`). */
    successor: z.string().min(1).optional(),
  })
  .strict();
export type EolCycle = z.infer<typeof EolCycleSchema>;

export const EolProductSchema = z
  .object({
    label: z.string().min(1),
    /** Repositories as Docker prints them (`python`, `bitnami/python`, `ghcr.io/x/y`). */
    images: z.array(z.string().min(1)),
    /** endoflife.date product slug; null when it has none. */
    api: z.string().min(1).nullable(),
    /** The endoflife.date field that holds the date we mean by eol (default `eol`). */
    apiEolField: z.enum(['eol', 'extendedSupport', 'support']).optional(),
    note: z.string().optional(),
    cycles: z.array(EolCycleSchema),
  })
  .strict();
export type EolProduct = z.infer<typeof EolProductSchema>;

export const EolTableSchema = z
  .object({
    version: z.literal(1),
    /** The day the dates were known to be right. */
    asOf: IsoDate,
    source: z.string(),
    products: z.record(z.string().min(1), EolProductSchema),
  })
  .strict();
export type EolTable = z.infer<typeof EolTableSchema>;

/** The refreshed table's file in the cache folder. */
export const EOL_CACHE_FILE = 'eol.json';

/** data/eol.json, from dist/src/resolve/eol/ or src/resolve/eol/ alike. */
export const SHIPPED_EOL_FILE = new URL('../../../../data/eol.json', import.meta.url);
const SHIPPED_FALLBACK = new URL('../../../data/eol.json', import.meta.url);

let shipped: EolTable | null = null;

/** The table shipped with basewatch; a broken one is a bug (it is tested), so this throws. */
export function shippedEolTable(): EolTable {
  if (shipped !== null) return shipped;
  let text: string;
  try {
    text = readFileSync(SHIPPED_EOL_FILE, 'utf8');
  } catch {
    text = readFileSync(SHIPPED_FALLBACK, 'utf8');
  }
  shipped = EolTableSchema.parse(JSON.parse(text));
  return shipped;
}

export interface LoadedEolTable {
  readonly table: EolTable;
  /** `shipped` or the cache file's path. */
  readonly source: string;
  /** Why a cached table was not used, when there is one and it is unusable. */
  readonly warning: string | null;
}

/** The refreshed table in `cacheDir` when it is valid and not older than the shipped one; else the shipped table. */
export async function loadEolTable(options: { cacheDir?: string } = {}): Promise<LoadedEolTable> {
  const base = shippedEolTable();
  if (options.cacheDir === undefined) return { table: base, source: 'shipped', warning: null };
  const file = path.join(options.cacheDir, EOL_CACHE_FILE);
  // Bounded, regular files only: a FIFO or /dev/zero in place of a cache must not hang a check.
  const read = await readBoundedFile(file, 'cache');
  if (!read.ok) {
    if (read.problem === 'missing') return { table: base, source: 'shipped', warning: null };
    if (read.problem !== 'unreadable') await setFileAside(file);
    return { table: base, source: 'shipped', warning: `${file} ${read.message}; set it aside and used the shipped table` };
  }
  const text = read.text;
  let parsed;
  try {
    parsed = EolTableSchema.safeParse(JSON.parse(text));
  } catch {
    return { table: base, source: 'shipped', warning: `${file} is not JSON; using the shipped table (run \`basewatch eol update\` again)` };
  }
  if (!parsed.success) return { table: base, source: 'shipped', warning: `${file} is not an end-of-life table; using the shipped table` };
  if (parsed.data.asOf < base.asOf) return { table: base, source: 'shipped', warning: null };
  return { table: parsed.data, source: file, warning: null };
}
