/**
 * What an image ID cannot change (its config: labels, layers, platform, parent; its history),
 * kept across checks so a check asks the engine only about images it has not seen: an image ID
 * is the digest of that content. Names (tags, RepoDigests) move freely and always come from the
 * engine's list. The daemon keeps one in memory; the CLI keeps one in the state folder, bounded,
 * and set aside and rebuilt when it cannot be read.
 */
import type { EngineClient, HistoryEntry, ImageDetails } from '../engine/docker-engine.js';
import { loadCacheFile, saveCacheFile } from './cache-file.js';
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

/*
 * The file's shape, checked by hand rather than with zod: it holds an entry for every image the
 * engine listed (thousands on a busy one), and zod took ~10 µs an entry, 15-25 ms of every check
 * (project issue 14). Same rule as a schema: every field its type, unknown keys dropped, and
 * anything else makes the whole file unreadable (set aside, rebuilt).
 */
type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isStringOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';

function readFacts(value: unknown): ImageFacts | null {
  if (!isObject(value)) return null;
  const { id, configDigest, labels, diffIds, os, architecture, variant, created, parent } = value;
  if (!isString(id) || !isStringOrNull(configDigest) || !isString(os) || !isString(architecture) || !isStringOrNull(variant) || !isString(created) || !isStringOrNull(parent)) return null;
  if (!isObject(labels) || !Object.values(labels).every(isString)) return null;
  if (!Array.isArray(diffIds) || !diffIds.every(isString)) return null;
  // Fresh from JSON.parse and shared with no one: kept as they are, not copied.
  return { id, configDigest, labels: labels as Record<string, string>, diffIds: diffIds as string[], os, architecture, variant, created, parent };
}

function readHistory(value: unknown): HistoryStep[] | null | undefined {
  if (value === null) return null;
  if (!Array.isArray(value)) return undefined;
  const steps: HistoryStep[] = [];
  for (const step of value) {
    if (!isObject(step) || !isString(step.createdBy) || !isNumber(step.created)) return undefined;
    steps.push({ createdBy: step.createdBy, created: step.created });
  }
  return steps;
}

function readSteps(value: unknown): HistoryEntry[] | null | undefined {
  if (value === null) return null;
  if (!Array.isArray(value)) return undefined;
  const steps: HistoryEntry[] = [];
  for (const step of value) {
    if (!isObject(step)) return undefined;
    const { id, createdBy, created, size, emptyLayer, emptyLayerBasis } = step;
    if (!isStringOrNull(id) || !isString(createdBy) || !isNumber(created) || !isNumber(size) || typeof emptyLayer !== 'boolean') return undefined;
    if (emptyLayerBasis !== 'exact' && emptyLayerBasis !== 'guessed') return undefined;
    steps.push({ id, createdBy, created, size, emptyLayer, emptyLayerBasis });
  }
  return steps;
}

/** One entry as the file holds it; null when any field is not what it must be. */
export function readEntry(value: unknown): Entry | null {
  if (!isObject(value) || !isNumber(value.listedAt)) return null;
  const facts = readFacts(value.facts);
  const history = readHistory(value.history);
  if (facts === null || history === undefined) return null;
  if (!('steps' in value) || value.steps === undefined) return { facts, history, listedAt: value.listedAt };
  const steps = readSteps(value.steps);
  if (steps === undefined) return null;
  return { facts, history, steps, listedAt: value.listedAt };
}

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
    if (!isObject(value) || value.version !== 1 || !isString(value.engine) || !isObject(value.images)) return null;
    const entries = new Map<string, Entry>();
    for (const [id, raw] of Object.entries(value.images)) {
      const entry = readEntry(raw);
      if (entry === null) return null;
      // An entry filed under another id is not this image's: drop it rather than trust it.
      if (entry.facts.id === id) entries.set(id, entry);
    }
    return new ImageFactsCache(value.engine, entries);
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
  const loaded = await loadCacheFile(stateDir, IMAGE_FACTS_FILE, IMAGE_FACTS_MAX_BYTES, (text) => ImageFactsCache.parse(text), 'the image cache', now);
  return { shelf: new ImageFactsShelf(loaded.cache), warning: loaded.warning };
}

/** Writes the cache when it changed; a failure is a warning (the next check inspects again), not the check's. */
export async function saveImageFacts(stateDir: string, shelf: ImageFactsShelf): Promise<string | null> {
  const cache = shelf.cache;
  if (cache === null || !cache.dirty) return null;
  cache.bound();
  const unsaved = await saveCacheFile(stateDir, IMAGE_FACTS_FILE, cache.toJson(), 'the image cache');
  if (unsaved === null) cache.markSaved();
  return unsaved;
}
