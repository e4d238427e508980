/**
 * Which product release a base image is, and whether that release is past or near its end of
 * life. `python:3.8-slim` is Python 3.8; `python:3.12-bookworm` is Python 3.12 on Debian 12;
 * `node:iron-alpine3.20` is Node.js 20 on Alpine 3.20; `debian:bullseye` is Debian 11.
 * Pure: the table and the time are inputs.
 */
import { type ImageRef, familiarImageRef } from '../../refs/image-ref.js';
import { parseVersionTag } from '../../refs/version-tag.js';
import { type EolCycle, type EolProduct, type EolTable, shippedEolTable } from './eol-table.js';

export type EolStatus = 'past' | 'soon' | 'ok';

export interface EolFinding {
  /** Table key: `python`, `debian`, … */
  readonly product: string;
  /** `Python`, `Debian`, … */
  readonly label: string;
  readonly cycle: string;
  /** YYYY-MM-DD, or null when not announced. */
  readonly eol: string | null;
  readonly status: EolStatus;
  /** What to move to: a newer cycle of the product (`3.13`), or another image (`eclipse-temurin:17`); null when none is known. */
  readonly successor: string | null;
  /** `image` when the repository is the product; `os` when the tag names the distribution under it. */
  readonly via: 'image' | 'os';
  /** One line for people: `Python 3.8 reached end of life on 2024-10-07; move to 3.14`. */
  readonly message: string;
}

/** Days before the end of life at which a base is flagged. */
export const EOL_SOON_DAYS = 60;
const DAY_MS = 86_400_000;

const OS_PRODUCTS = ['debian', 'ubuntu', 'alpine'] as const;

function compareCycles(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function eolStatus(eol: string | null, now: Date): EolStatus {
  if (eol === null) return 'ok';
  const end = Date.parse(`${eol}T00:00:00Z`);
  if (now.getTime() >= end) return 'past';
  return end - now.getTime() <= EOL_SOON_DAYS * DAY_MS ? 'soon' : 'ok';
}

/**
 * The newest cycle that is not past or soon at `now`; LTS cycles only, when the product has any
 * (a Node.js 18 user is sent to 22, not to the short-lived 23). Null when there is none newer.
 */
function successorOf(product: EolProduct, cycle: EolCycle, now: Date): string | null {
  if (cycle.successor !== undefined) return cycle.successor;
  const hasLts = product.cycles.some((candidate) => candidate.lts === true);
  const newest = product.cycles
    .filter((candidate) => (!hasLts || candidate.lts === true) && eolStatus(candidate.eol, now) === 'ok' && compareCycles(candidate.cycle, cycle.cycle) > 0)
    .sort((a, b) => compareCycles(b.cycle, a.cycle))[0];
  return newest?.cycle ?? null;
}

/** The cycle a tag means: the longest numeric prefix the table knows (`3.12.4` → `3.12`, `18.20` → `18`), or a codename. */
function cycleForTag(product: EolProduct, tag: string): EolCycle | null {
  const first = tag.split('-')[0]?.toLowerCase() ?? '';
  const byName = product.cycles.find((cycle) => cycle.codename !== undefined && cycle.codename === first);
  if (byName !== undefined) return byName;
  // `8u342-jdk`: the openjdk and temurin spelling of Java 8 updates.
  const javaUpdate = /^(\d+)u\d+/.exec(tag);
  const version = javaUpdate !== null ? { numbers: [Number(javaUpdate[1])] } : parseVersionTag(tag);
  if (version === null) return null;
  for (let length = version.numbers.length; length > 0; length--) {
    const wanted = version.numbers.slice(0, length);
    // Compared as numbers: Ubuntu writes `22.04`, a tag may too.
    const found = product.cycles.find((cycle) => {
      const parts = cycle.cycle.split('.').map(Number);
      return parts.length === length && parts.every((part, i) => part === wanted[i]);
    });
    if (found !== undefined) return found;
  }
  return null;
}

/** The OS cycle a tag's flavour names: `slim-bookworm` → Debian 12, `alpine3.20` → Alpine 3.20, `jdk-jammy` → Ubuntu 22.04. */
function osCycleForTag(table: EolTable, tag: string): { key: string; product: EolProduct; cycle: EolCycle } | null {
  const words = tag.toLowerCase().split('-');
  for (const word of words.slice(1)) {
    for (const key of OS_PRODUCTS) {
      const product = table.products[key];
      if (product === undefined) continue;
      const alpine = key === 'alpine' ? /^alpine(\d+\.\d+)$/.exec(word) : null;
      const cycle = alpine !== null ? product.cycles.find((c) => c.cycle === alpine[1]) : product.cycles.find((c) => c.codename === word);
      if (cycle !== undefined) return { key, product, cycle };
    }
  }
  return null;
}

function finding(key: string, product: EolProduct, cycle: EolCycle, now: Date, via: EolFinding['via']): EolFinding {
  const status = eolStatus(cycle.eol, now);
  const successor = successorOf(product, cycle, now);
  const name = `${product.label} ${cycle.cycle}`;
  const move = successor === null ? '' : `; move to ${successor.includes(':') ? successor : `${product.label} ${successor}`}`;
  const message =
    status === 'past'
      ? `${name} reached end of life on ${cycle.eol}${move}`
      : status === 'soon'
        ? `${name} reaches end of life on ${cycle.eol}${move}`
        : cycle.eol === null
          ? `${name}: no end-of-life date announced`
          : `${name} is supported until ${cycle.eol}`;
  return { product: key, label: product.label, cycle: cycle.cycle, eol: cycle.eol, status, successor, via, message };
}

/** Every finding for a base: the image's own product first, then the OS its tag names. */
export function eolFindings(ref: ImageRef, now: Date, table: EolTable = shippedEolTable()): EolFinding[] {
  if (ref.tag === null) return [];
  const repository = familiarImageRef({ ...ref, tag: null, digest: null });
  const found: EolFinding[] = [];
  for (const [key, product] of Object.entries(table.products)) {
    if (!product.images.includes(repository)) continue;
    const cycle = cycleForTag(product, ref.tag);
    if (cycle !== null) found.push(finding(key, product, cycle, now, 'image'));
  }
  const os = osCycleForTag(table, ref.tag);
  if (os !== null && !found.some((f) => f.product === os.key)) found.push(finding(os.key, os.product, os.cycle, now, 'os'));
  return found;
}

const SEVERITY: Record<EolStatus, number> = { past: 2, soon: 1, ok: 0 };

/** The most pressing finding (past before soon before ok; the image's product on a tie), or null when the base is not in the table. */
export function eolFor(ref: ImageRef, now: Date, table: EolTable = shippedEolTable()): EolFinding | null {
  const all = eolFindings(ref, now, table);
  return all.reduce<EolFinding | null>((best, next) => (best === null || SEVERITY[next.status] > SEVERITY[best.status] ? next : best), null);
}
