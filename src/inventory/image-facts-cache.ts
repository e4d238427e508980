/**
 * What an image ID cannot change (its config: labels, layers, platform, parent; its history),
 * kept across checks so a check asks the engine only about images it has not seen: an image ID
 * is the digest of that content. Names (tags, RepoDigests) move freely and always come from the
 * engine's list. The daemon keeps one in memory; the CLI keeps one in the state folder, bounded,
 * and set aside and rebuilt when it cannot be read.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { EngineClient, HistoryEntry, ImageDetails } from '../engine/docker-engine.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { readRegularFile } from './read-regular-file.js';
import type { HistoryStep } from './local-image.js';

export const IMAGE_FACTS_FILE = 'image-facts.json';
/** Enough for a developer's engine and its leftovers; the least recently listed go first. */
export const IMAGE_FACTS_LIMIT = 4000;
/** Far above what IMAGE_FACTS_LIMIT entries take. */
const IMAGE_FACTS_MAX_BYTES = 64 * 1024 * 1024;
/**
 * How fresh "last listed" is kept: a listing within a day of the one recorded changes nothing
 * worth saving. The bound needs no finer order, and a warm check with nothing new then rewrites
 * no file (one of ~5 KB an image, fsynced: tens of ms on a busy disk; project issue 14).
 */
export const LISTED_AT_RESOLUTION_MS = 24 * 60 * 60 * 1000;

export type ImageFacts = Omit<ImageDetails, 'repoTags' | 'repoDigests'>;

interface Entry {
  facts: ImageFacts;
  history: readonly HistoryStep[] | null;
  /** The engine's whole answer about the history, when it settled which steps added a layer. */
  steps?: readonly HistoryEntry[] | null;
  /** The last check that listed it (ms): what bounds the file. */
  listedAt: number;
}

const EntrySchema = z.object({
  facts: z.object({
    id: z.string(),
    configDigest: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    diffIds: z.array(z.string()),
    os: z.string(),
    architecture: z.string(),
    variant: z.string().nullable(),
    created: z.string(),
    parent: z.string().nullable(),
  }),
  history: z.array(z.object({ createdBy: z.string(), created: z.number() })).nullable(),
  steps: z
    .array(
      z.object({
        id: z.string().nullable(),
        createdBy: z.string(),
        created: z.number(),
        size: z.number(),
        emptyLayer: z.boolean(),
        emptyLayerBasis: z.enum(['exact', 'guessed']),
      }),
    )
    .nullable()
    .optional(),
  listedAt: z.number(),
});
const FileSchema = z.object({ version: z.literal(1), engine: z.string(), images: z.record(z.string(), EntrySchema) });

export class ImageFactsCache {
  private readonly entries: Map<string, Entry>;
  /** Engine calls saved and made, for tests and benchmarks. */
  hits = 0;
  misses = 0;
  private changed = false;

  constructor(
    /** The engine the facts were read from (its endpoint): another engine's store may differ. */
    readonly engine: string,
    entries: ReadonlyMap<string, Entry> = new Map(),
  ) {
    this.entries = new Map(entries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The facts of an image listed now, or undefined when never seen. */
  facts(id: string, now: number): ImageFacts | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    if (Math.abs(now - entry.listedAt) >= LISTED_AT_RESOLUTION_MS) {
      entry.listedAt = now;
      this.changed = true;
    }
    return entry.facts;
  }

  remember(image: ImageDetails, now: number): void {
    const { repoTags: _tags, repoDigests: _digests, ...facts } = image;
    const entry = this.entries.get(image.id);
    // The containerd store's config digest is learned later (a save); keep the one known.
    this.entries.set(image.id, { facts: { ...facts, configDigest: facts.configDigest ?? entry?.facts.configDigest ?? null }, history: entry?.history ?? null, listedAt: now });
    this.changed = true;
  }

  history(id: string): readonly HistoryStep[] | null {
    return this.entries.get(id)?.history ?? null;
  }

  rememberHistory(id: string, history: readonly HistoryStep[]): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    entry.history = history;
    this.changed = true;
  }

  steps(id: string): readonly HistoryEntry[] | null {
    return this.entries.get(id)?.steps ?? null;
  }

  rememberSteps(id: string, steps: readonly HistoryEntry[]): void {
    const entry = this.entries.get(id);
    // A guess may be settled by a later look (a step image pulled since): keep only what is known.
    if (entry === undefined || steps.some((step) => step.emptyLayerBasis === 'guessed')) return;
    entry.steps = steps;
    this.changed = true;
  }

  /** Whether anything was learned or touched since it was loaded or saved. */
  get dirty(): boolean {
    return this.changed;
  }

  /** At most `limit` entries, those listed longest ago (to a day) dropped first. */
  bound(limit: number = IMAGE_FACTS_LIMIT): void {
    if (this.entries.size <= limit) return;
    const oldestFirst = [...this.entries].sort((a, b) => a[1].listedAt - b[1].listedAt);
    for (const [id] of oldestFirst.slice(0, this.entries.size - limit)) this.entries.delete(id);
    this.changed = true;
  }

  toJson(): string {
    return JSON.stringify({ version: 1, engine: this.engine, images: Object.fromEntries(this.entries) });
  }

  markSaved(): void {
    this.changed = false;
  }

  static parse(text: string): ImageFactsCache | null {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    const parsed = FileSchema.safeParse(value);
    if (!parsed.success) return null;
    // An entry filed under another id is not this image's: drop it rather than trust it.
    const entries = Object.entries(parsed.data.images).filter(([id, entry]) => entry.facts.id === id);
    return new ImageFactsCache(parsed.data.engine, new Map(entries));
  }
}

/** The engine, with `imageHistory(id)` answered from the cache for an image it has seen. */
export function withRememberedHistories(engine: EngineClient, cache: ImageFactsCache | undefined): EngineClient {
  if (cache === undefined) return engine;
  const imageHistory = async (idOrRef: string): Promise<HistoryEntry[]> => {
    const known = cache.steps(idOrRef);
    if (known !== null) return [...known];
    const steps = await engine.imageHistory(idOrRef);
    cache.rememberSteps(idOrRef, steps);
    return steps;
  };
  return new Proxy(engine, {
    get(target, property) {
      if (property === 'imageHistory') return imageHistory;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The cache of the engine a check connects to: the one kept, when it is of that engine, else a
 * new one (another engine's store may give the same id other names, or another config digest).
 */
export class ImageFactsShelf {
  constructor(private current: ImageFactsCache | null = null) {}

  forEngine(engine: string): ImageFactsCache {
    if (this.current === null || this.current.engine !== engine) this.current = new ImageFactsCache(engine);
    return this.current;
  }

  get cache(): ImageFactsCache | null {
    return this.current;
  }
}

export interface LoadedImageFacts {
  readonly shelf: ImageFactsShelf;
  /** Set when the file could not be read and was set aside: say so, once. */
  readonly warning: string | null;
}

/**
 * The CLI's cache, from the state folder. A file that cannot be parsed is renamed aside (for a
 * bug report) and an empty cache starts over.
 */
export async function loadImageFacts(stateDir: string, now: Date = new Date()): Promise<LoadedImageFacts> {
  const file = path.join(stateDir, IMAGE_FACTS_FILE);
  const text = await readRegularFile(file, IMAGE_FACTS_MAX_BYTES);
  if (text === 'missing') return { shelf: new ImageFactsShelf(), warning: null };
  // Not a plain file, or far too big for its bound: set aside like an unreadable one.
  const cache = text === null ? null : ImageFactsCache.parse(text);
  if (cache === null) {
    const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(file, aside).catch(() => undefined);
    return { shelf: new ImageFactsShelf(), warning: `the image cache ${file} could not be read; set aside as ${path.basename(aside)} and rebuilt` };
  }
  return { shelf: new ImageFactsShelf(cache), warning: null };
}

/** Writes the cache when it changed; a failure is a warning (the next check inspects again), not the check's. */
export async function saveImageFacts(stateDir: string, shelf: ImageFactsShelf): Promise<string | null> {
  const cache = shelf.cache;
  if (cache === null || !cache.dirty) return null;
  cache.bound();
  try {
    await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path.join(stateDir, IMAGE_FACTS_FILE), cache.toJson());
  } catch (error) {
    return `the image cache could not be saved in ${stateDir} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  cache.markSaved();
  return null;
}
