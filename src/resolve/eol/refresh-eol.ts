/**
 * Refreshes the end-of-life table from endoflife.date (`GET https://endoflife.date/api/<product>.json`)
 * and writes it to the cache folder. Optional by design: without network the shipped table
 * stays in use, and nothing else depends on this.
 */
import path from 'node:path';
import { z } from 'zod';
import { classifyTransportError } from '../../registry/registry-failure.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { EOL_CACHE_FILE, type EolCycle, type EolProduct, type EolTable, EolTableSchema } from './eol-table.js';

export const EOL_API_HOST = 'endoflife.date';

const DateOrFlag = z.union([z.string(), z.boolean()]).nullable().optional();

/** One release cycle as endoflife.date's v1 API sends it; unknown fields are ignored. */
const ApiCycle = z.object({
  cycle: z.string(),
  eol: DateOrFlag,
  support: DateOrFlag,
  extendedSupport: DateOrFlag,
  lts: z.union([z.boolean(), z.string()]).nullable().optional(),
  codename: z.string().nullable().optional(),
});
const ApiAnswer = z.array(ApiCycle);
type ApiCycle = z.infer<typeof ApiCycle>;

export type FetchLike = (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export interface RefreshOptions {
  readonly now: Date;
  /** Default: Node's fetch. */
  readonly fetch?: FetchLike;
  /** Per request. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

export type RefreshResult =
  | { readonly ok: true; readonly table: EolTable; readonly refreshed: string[]; readonly warnings: string[] }
  | { readonly ok: false; readonly message: string };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const NUMERIC_CYCLE = /^\d+(?:\.\d+)*$/;

function eolDate(value: ApiCycle['eol'], shipped: EolCycle | undefined, today: string): string | null {
  if (typeof value === 'string' && ISO_DATE.test(value)) return value;
  // `true` is "ended, date not given": keep the date we knew, else say it ended by today.
  if (value === true) return shipped?.eol ?? today;
  return null;
}

/** The product's cycles from an API answer, keeping what the API does not say (successor, codename). */
export function mergeApiCycles(product: EolProduct, answer: readonly ApiCycle[], today: string): EolCycle[] {
  const field = product.apiEolField ?? 'eol';
  const cycles = answer
    .filter((entry) => NUMERIC_CYCLE.test(entry.cycle))
    .map((entry): EolCycle => {
      const shipped = product.cycles.find((cycle) => cycle.cycle === entry.cycle);
      const chosen = entry[field] ?? entry.eol;
      const codename = entry.codename?.split(/\s+/)[0]?.toLowerCase() || shipped?.codename;
      const lts = entry.lts === true || typeof entry.lts === 'string' || shipped?.lts === true;
      return {
        cycle: entry.cycle,
        eol: eolDate(chosen, shipped, today),
        ...(lts ? { lts: true } : {}),
        ...(codename !== undefined ? { codename } : {}),
        ...(shipped?.successor !== undefined ? { successor: shipped.successor } : {}),
      };
    });
  return cycles.sort((a, b) => {
    const x = a.cycle.split('.').map(Number);
    const y = b.cycle.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  });
}

async function fetchProduct(fetchImpl: FetchLike, slug: string, timeoutMs: number): Promise<{ ok: true; answer: ApiCycle[] } | { ok: false; message: string; network: boolean }> {
  const url = `https://${EOL_API_HOST}/api/${slug}.json`;
  let response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), headers: { Accept: 'application/json', 'User-Agent': 'basewatch' } });
  } catch (error) {
    const cause = (error as { name?: string } | null)?.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : classifyTransportError(error).detail;
    return { ok: false, message: `cannot reach ${EOL_API_HOST} (${url}: ${cause})`, network: true };
  }
  if (!response.ok) return { ok: false, message: `${EOL_API_HOST} answered ${response.status} for ${url}`, network: false };
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return { ok: false, message: `${EOL_API_HOST} sent something that is not JSON for ${url}`, network: false };
  }
  const parsed = ApiAnswer.safeParse(body);
  if (!parsed.success) return { ok: false, message: `${EOL_API_HOST} sent an unexpected answer for ${url} (not a list of release cycles)`, network: false };
  return { ok: true, answer: parsed.data };
}

/**
 * A new table: every product with an endoflife.date slug refreshed, the others (and any whose
 * request failed) as they were. Fails only when no product could be refreshed.
 */
export async function refreshEolTable(current: EolTable, options: RefreshOptions): Promise<RefreshResult> {
  const fetchImpl = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const today = options.now.toISOString().slice(0, 10);
  const products: Record<string, EolProduct> = {};
  const refreshed: string[] = [];
  const warnings: string[] = [];
  let firstNetworkFailure: string | null = null;
  for (const [key, product] of Object.entries(current.products)) {
    products[key] = product;
    if (product.api === null) continue;
    // A network that is down fails every request the same way: stop after the first one.
    if (firstNetworkFailure !== null) continue;
    const fetched = await fetchProduct(fetchImpl, product.api, timeoutMs);
    if (!fetched.ok) {
      if (fetched.network) firstNetworkFailure = fetched.message;
      else warnings.push(`${key}: ${fetched.message}; kept the dates as of ${current.asOf}`);
      continue;
    }
    const cycles = mergeApiCycles(product, fetched.answer, today);
    if (cycles.length === 0) {
      warnings.push(`${key}: ${EOL_API_HOST} listed no release cycles; kept the dates as of ${current.asOf}`);
      continue;
    }
    products[key] = { ...product, cycles };
    refreshed.push(key);
  }
  if (refreshed.length === 0) {
    const why = firstNetworkFailure ?? warnings[0] ?? `no product has an ${EOL_API_HOST} name`;
    return { ok: false, message: `${why}; the end-of-life table as of ${current.asOf} stays in use` };
  }
  if (firstNetworkFailure !== null) warnings.push(`${firstNetworkFailure}; the products after it kept their dates as of ${current.asOf}`);
  const table = EolTableSchema.parse({
    version: 1,
    asOf: today,
    source: `Refreshed from https://${EOL_API_HOST}/api/ on ${today} (${refreshed.join(', ')}); other products as of ${current.asOf}.`,
    products,
  });
  return { ok: true, table, refreshed, warnings };
}

/** Writes a refreshed table where loadEolTable looks for it. */
export async function saveEolTable(cacheDir: string, table: EolTable): Promise<string> {
  const file = path.join(cacheDir, EOL_CACHE_FILE);
  await writeFileAtomic(file, `${JSON.stringify(table, null, 2)}\n`);
  return file;
}
