/**
 * Each Dockerfile, compose file and `.env` is read only when it changed (issue 14): a file whose
 * identity (device, inode, size, modification time in ns) is the one it had when last read is
 * taken from here, with what was parsed from it, without being opened. A changed file is read
 * again through the bounded, non-blocking reader, so a FIFO or a device in its place is reported
 * as before. The daemon keeps one in memory across cycles and edits; the CLI keeps one in the
 * state folder (the Dockerfiles' texts: parses are redone per run), bounded, and set aside and
 * rebuilt when it cannot be read.
 */
import fs from 'node:fs/promises';
import { z } from 'zod';
import { loadCacheFile, saveCacheFile } from './cache-file.js';
import { type BoundedFileKind, type BoundedRead, type FileIdentity, fileIdentity, readBoundedFileIdentified } from '../util/read-bounded-file.js';

export type ProjectFileKind = Extract<BoundedFileKind, 'dockerfile' | 'compose' | 'dot-env'>;

export const PROJECT_FILES_FILE = 'project-files.json';
/** Entries kept: far more project files than a developer's roots hold; the least recently read go first. */
export const PROJECT_FILES_LIMIT = 2000;
/** Text kept in all (a Dockerfile is a few KiB); beyond it the least recently read go first. */
export const PROJECT_FILES_MAX_TEXT = 16 * 1024 * 1024;
/** Far above what the bounds above take as JSON. */
const PROJECT_FILES_MAX_BYTES = 48 * 1024 * 1024;
/**
 * A file modified this recently when it was read may be modified again within the same tick of
 * the file system's clock (a few ms on Linux, 2 s on FAT) without its identity changing: it is
 * not kept, and is read again next time ("racily clean", as git calls it).
 */
const RACY_NS = 2_000_000_000n;
/** Parses kept per file (one per set of build args and target, or compose environment). */
const PARSES_PER_FILE = 8;

interface Entry {
  readonly kind: ProjectFileKind;
  readonly identity: FileIdentity;
  readonly text: string;
  /** When it was last read or found unchanged (ms): what bounds the cache. */
  seenAt: number;
  /** In memory only: parse results by the inputs besides the text (build args, environment). */
  readonly parses: Map<string, unknown>;
}

const EntrySchema = z.object({ kind: z.literal('dockerfile'), identity: z.string(), text: z.string(), seenAt: z.number() });
const FileSchema = z.object({ version: z.literal(1), files: z.record(z.string(), EntrySchema) });

export class ProjectFileCache {
  private readonly entries: Map<string, Entry>;
  /** Files whose text was read, and files found unchanged (not read): for tests and benchmarks. */
  reads = 0;
  hits = 0;
  private changed = false;

  constructor(entries: ReadonlyMap<string, Omit<Entry, 'parses'>> = new Map()) {
    this.entries = new Map([...entries].map(([file, entry]) => [file, { ...entry, parses: new Map() }]));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The file's text as readBoundedFile gives it: from here when its identity is unchanged, else read again. */
  async read(file: string, kind: ProjectFileKind, now: number = Date.now()): Promise<BoundedRead> {
    const entry = this.entries.get(file);
    if (entry !== undefined && entry.kind === kind) {
      // stat follows a symlink, as the reader does; anything but the same regular file is read again (and reported by the reader).
      const stat = await fs.stat(file, { bigint: true }).catch(() => null);
      if (stat !== null && stat.isFile() && fileIdentity(stat) === entry.identity) {
        this.hits += 1;
        if (entry.seenAt !== now) {
          entry.seenAt = now;
          this.changed = true;
        }
        return { ok: true, text: entry.text };
      }
    }
    const read = await readBoundedFileIdentified(file, kind);
    if (read.ok) this.reads += 1;
    const racy = read.ok && BigInt(now) * 1_000_000n - read.mtimeNs < RACY_NS;
    if (!read.ok || racy) {
      if (this.entries.delete(file)) this.changed = true;
      return read.ok ? { ok: true, text: read.text } : read;
    }
    this.entries.set(file, { kind, identity: read.identity, text: read.text, seenAt: now, parses: new Map() });
    this.changed = true;
    return { ok: true, text: read.text };
  }

  /**
   * What `parse` makes of `text` (the file's, as `read` just gave it) with the inputs `key` names,
   * computed once per version of the file. A text that is not the one kept is parsed, not kept.
   */
  parsed<T>(file: string, text: string, key: string, parse: () => T): T {
    const entry = this.entries.get(file);
    if (entry === undefined || entry.text !== text) return parse();
    if (entry.parses.has(key)) return entry.parses.get(key) as T;
    const value = parse();
    if (entry.parses.size >= PARSES_PER_FILE) entry.parses.delete(entry.parses.keys().next().value as string);
    entry.parses.set(key, value);
    return value;
  }

  get dirty(): boolean {
    return this.changed;
  }

  /** At most `limit` entries and `maxText` characters of text, those read longest ago dropped first. */
  bound(limit: number = PROJECT_FILES_LIMIT, maxText: number = PROJECT_FILES_MAX_TEXT): void {
    let text = 0;
    for (const entry of this.entries.values()) text += entry.text.length;
    if (this.entries.size <= limit && text <= maxText) return;
    const oldestFirst = [...this.entries].sort((a, b) => a[1].seenAt - b[1].seenAt);
    for (const [file, entry] of oldestFirst) {
      if (this.entries.size <= limit && text <= maxText) break;
      this.entries.delete(file);
      text -= entry.text.length;
    }
    this.changed = true;
  }

  /**
   * The Dockerfiles only: a compose file or `.env` may hold secrets (a password in `environment:`),
   * which the report already keeps out (util/mask-build-args), and basewatch's own folders must not
   * collect copies of. The daemon keeps those in memory.
   */
  toJson(): string {
    const kept = [...this.entries].filter(([, entry]) => entry.kind === 'dockerfile');
    const files = Object.fromEntries(kept.map(([file, { kind, identity, text, seenAt }]) => [file, { kind, identity, text, seenAt }]));
    return JSON.stringify({ version: 1, files });
  }

  markSaved(): void {
    this.changed = false;
  }

  static parse(text: string): ProjectFileCache | null {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    const parsed = FileSchema.safeParse(value);
    return parsed.success ? new ProjectFileCache(new Map(Object.entries(parsed.data.files))) : null;
  }
}

export interface LoadedProjectFiles {
  readonly cache: ProjectFileCache;
  /** Set when the file could not be read and was set aside: say so, once. */
  readonly warning: string | null;
}

const WHAT = 'the project files cache';

/** The CLI's cache, from the state folder; a file that cannot be used is set aside and an empty cache starts over. */
export async function loadProjectFiles(stateDir: string, now: Date = new Date()): Promise<LoadedProjectFiles> {
  const loaded = await loadCacheFile(stateDir, PROJECT_FILES_FILE, PROJECT_FILES_MAX_BYTES, (text) => ProjectFileCache.parse(text), WHAT, now);
  return { cache: loaded.cache ?? new ProjectFileCache(), warning: loaded.warning };
}

/** Writes the cache when it changed; a failure is a warning (the next check reads the files again). */
export async function saveProjectFiles(stateDir: string, cache: ProjectFileCache): Promise<string | null> {
  if (!cache.dirty) return null;
  cache.bound();
  const unsaved = await saveCacheFile(stateDir, PROJECT_FILES_FILE, cache.toJson(), WHAT);
  if (unsaved === null) cache.markSaved();
  return unsaved;
}
