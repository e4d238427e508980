/**
 * The one module that imports chokidar. Watches the roots for Dockerfiles and compose files
 * (added, changed, removed), never descending into dependency/VCS folders, and keeps a count per
 * root for `status`. Editors that save atomically (write a temp file, rename it over) show up as
 * a change of the real file: chokidar's `atomic` option folds the unlink+add pair.
 * Running out of OS watches (inotify's max_user_watches: ENOSPC; EMFILE elsewhere) is reported
 * through `problem`, never fatal: scheduled checks still find the files.
 *
 * Why the first scan is done in chunks: chokidar lstat()s every entry of every folder it walks,
 * all folders at once. On a tree of 20,000 files that is 20,000 fs requests in flight, whose
 * native memory (~30 MB) stays in the process heap for good (glibc cannot give back a
 * fragmented heap), plus ~60 MB of garbage. So the folders are listed first (readdir file types,
 * no stat), then watched one chunk of folders at a time, each chunk by its own chokidar watcher
 * at depth 0 whose `ready` says the chunk is done. Folders that appear later (a clone, a move,
 * a mkdir) are seen by their parent's watcher and handed to one recursive watcher.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type ChokidarOptions, type FSWatcher, watch } from 'chokidar';
import { SKIPPED_FOLDERS, projectFileKind } from '../inventory/find-project-files.js';
import { mapLimit } from '../util/map-limit.js';
import { isWithin } from '../util/path-within.js';
import type { Logger } from '../util/logger.js';
import { ensurePrivateDirSync } from '../util/private-path.js';

export type ProjectFileEvent = { readonly kind: 'added' | 'changed' | 'removed'; readonly file: string };

export interface RootCount {
  readonly root: string;
  readonly dockerfiles: number;
  readonly composeFiles: number;
  readonly problem: string | null;
}

export interface FileWatcherSnapshot {
  readonly state: 'starting' | 'watching' | 'degraded' | 'off';
  readonly roots: readonly RootCount[];
  readonly problem: string | null;
}

/**
 * Pure: whether a path is inside a folder basewatch never looks in, below the root that holds
 * it. Only the part under the root counts: a root may itself sit in such a folder (a project
 * kept in ~/.cache/… or under a folder named vendor) and is still watched, as `check` scans it.
 * A path under no root is judged whole.
 */
export function isInSkippedFolder(file: string, roots: readonly string[] = []): boolean {
  let root: string | undefined;
  for (const candidate of roots) if (isWithin(file, candidate) && (root === undefined || candidate.length > root.length)) root = candidate;
  const below = root === undefined ? file : path.relative(root, file);
  return below.split(path.sep).some((part) => SKIPPED_FOLDERS.has(part));
}

export function describeWatchLimit(code: string | undefined): string | null {
  if (code === 'ENOSPC') {
    return 'the OS limit on watched folders was reached (fs.inotify.max_user_watches): some file changes will only be seen by scheduled checks; raise it with `sudo sysctl fs.inotify.max_user_watches=524288` or watch fewer folders';
  }
  if (code === 'EMFILE' || code === 'ENFILE') {
    return 'the limit on open files was reached: some file changes will only be seen by scheduled checks; raise `ulimit -n` (LimitNOFILE= in the unit) or watch fewer folders';
  }
  return null;
}

export interface ListedFolder {
  readonly folder: string;
  /** How many entries it holds: what chokidar will lstat when it watches it. */
  readonly entries: number;
}

/** How often a watched root that is not there is looked for (a stat each: nothing to save). */
export const MISSING_ROOT_POLL_MS = 1000;

/** When a closed watcher is closed once more (see ProjectFileWatcher's #retire). */
const RETIRE_AGAIN_MS = 2000;

/** A chunk is closed when its folders hold this many entries (or it has this many folders). */
export const CHUNK_ENTRIES = 2000;
export const CHUNK_FOLDERS = 256;

/**
 * Pure: the folders in chunks of about `maxEntries` entries (and at most `maxFolders` folders),
 * in order; a folder larger than `maxEntries` is a chunk of its own. Fewer, larger chunks mean
 * fewer watchers; smaller ones, fewer fs requests in flight.
 */
export function chunkFolders(folders: readonly ListedFolder[], maxEntries = CHUNK_ENTRIES, maxFolders = CHUNK_FOLDERS): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let entries = 0;
  for (const { folder, entries: size } of folders) {
    if (current.length > 0 && (entries + size > maxEntries || current.length >= maxFolders)) {
      chunks.push(current);
      current = [];
      entries = 0;
    }
    current.push(folder);
    entries += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Every folder under `root` (itself included) that basewatch looks in, breadth first, by
 * readdir file types alone; symlinked folders are not followed. Null when `root` is not a
 * readable folder. A subfolder that cannot be read or vanishes is left out.
 */
export async function listFolders(root: string, onFile?: (file: string) => void): Promise<ListedFolder[] | null> {
  try {
    if (!(await fs.promises.stat(root)).isDirectory()) return null;
  } catch {
    return null;
  }
  const found: ListedFolder[] = [];
  let level = [root];
  while (level.length > 0) {
    const next: string[] = [];
    await mapLimit(level, 4, async (folder) => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(folder, { withFileTypes: true });
      } catch {
        return;
      }
      found.push({ folder, entries: entries.length });
      for (const entry of entries) {
        if (entry.isDirectory()) {
          if (!SKIPPED_FOLDERS.has(entry.name)) next.push(path.join(folder, entry.name));
        } else onFile?.(path.join(folder, entry.name));
      }
    });
    level = next;
  }
  return found.length > 0 ? found : null;
}

export interface FileWatcherOptions {
  readonly roots: readonly string[];
  readonly logger: Logger;
  /** Called for each change after the initial scan; failures are the caller's to catch. */
  readonly onEvent: (event: ProjectFileEvent) => void;
}

/** chokidar's options for watching under `roots()` (read at each call: roots change). */
function watchOptions(roots: () => readonly string[]): ChokidarOptions {
  return {
    ignoreInitial: false,
    followSymlinks: false,
    atomic: true,
    ignorePermissionErrors: true,
    ignored: (file, stats) => {
      if (isInSkippedFolder(file, roots())) return true;
      // Only files need a name test; folders must be walked into.
      return stats !== undefined && stats.isFile() && projectFileKind(path.basename(file)) === null;
    },
  };
}

interface Chunk {
  readonly root: string;
  readonly watcher: FSWatcher;
  /** Until its first scan is done, what it reports is the inventory, not changes. */
  ready: boolean;
}

export class ProjectFileWatcher {
  readonly #logger: Logger;
  readonly #onEvent: (event: ProjectFileEvent) => void;
  #roots: string[];
  #started = false;
  #problem: string | null = null;
  readonly #rootProblems = new Map<string, string>();
  /** Every project file seen, with its kind. */
  readonly #files = new Map<string, 'dockerfile' | 'compose'>();
  /** Roots whose first scan is under way; aborted when the root is dropped or on stop(). */
  readonly #scans = new Map<string, AbortController>();
  /** Scans run one after another: one root's fs requests at a time. */
  #scanQueue: Promise<void> = Promise.resolve();
  readonly #chunks = new Set<Chunk>();
  /** Folders the first scans listed: each one watched (or about to be) by a chunk. */
  readonly #listed = new Set<string>();
  /** Folders that appeared after the first scan, each watched recursively by its own watcher. */
  readonly #lateFolders = new Map<string, FSWatcher>();
  /** Watchers closed while running; closed once more at stop() (see #retire). */
  readonly #retired = new Set<FSWatcher>();
  /** Roots that are not there (yet): looked for every MISSING_ROOT_POLL_MS, scanned when they appear. */
  readonly #missingRoots = new Set<string>();
  #missingTimer: NodeJS.Timeout | null = null;

  constructor(options: FileWatcherOptions) {
    this.#roots = [...new Set(options.roots)];
    this.#logger = options.logger;
    this.#onEvent = options.onEvent;
  }

  /**
   * Starts watching; does not wait for the initial scan (a large tree takes a while), `snapshot()`
   * says `starting` until it is done. With no roots there is nothing to watch until `setRoots`.
   */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#checkRoots(this.#roots);
    for (const root of this.#roots) this.#scan(root);
  }

  async stop(): Promise<void> {
    this.#started = false;
    this.#missingRoots.clear();
    if (this.#missingTimer !== null) clearInterval(this.#missingTimer);
    this.#missingTimer = null;
    for (const scan of this.#scans.values()) scan.abort();
    this.#scans.clear();
    const watchers = [...[...this.#chunks].map((chunk) => chunk.watcher), ...this.#lateFolders.values(), ...this.#retired];
    this.#retired.clear();
    this.#chunks.clear();
    this.#listed.clear();
    this.#lateFolders.clear();
    this.#files.clear();
    await Promise.all(watchers.map((watcher) => watcher.close()));
  }

  /** Follows a change of settings.roots without restarting. */
  setRoots(roots: readonly string[]): void {
    const next = [...new Set(roots)];
    const added = next.filter((root) => !this.#roots.includes(root));
    const removed = this.#roots.filter((root) => !next.includes(root));
    this.#roots = next;
    for (const root of removed) this.#drop(root);
    this.#checkRoots(added);
    if (this.#started) for (const root of added) this.#scan(root);
    if (added.length + removed.length > 0) this.#logger.info('watched roots changed', { added, removed });
  }

  snapshot(): FileWatcherSnapshot {
    const roots = this.#roots.map((root): RootCount => {
      let dockerfiles = 0;
      let composeFiles = 0;
      for (const [file, kind] of this.#files) {
        if (!isWithin(file, root)) continue;
        if (kind === 'dockerfile') dockerfiles += 1;
        else composeFiles += 1;
      }
      return { root, dockerfiles, composeFiles, problem: this.#rootProblems.get(root) ?? null };
    });
    const state = this.#roots.length === 0 ? 'off' : !this.#started || this.#scans.size > 0 ? 'starting' : this.#problem !== null ? 'degraded' : 'watching';
    return { state, roots, problem: this.#problem };
  }

  /**
   * The project files known under the roots, as a scan of them would list them (sorted); null
   * while a first scan is under way or a root is missing or failed (then only a scan is sure).
   */
  knownFiles(): { dockerfiles: string[]; composeFiles: string[] } | null {
    if (!this.#started || this.#scans.size > 0 || this.#problem !== null || this.#missingRoots.size > 0 || this.#rootProblems.size > 0) return null;
    const dockerfiles: string[] = [];
    const composeFiles: string[] = [];
    for (const [file, kind] of this.#files) (kind === 'dockerfile' ? dockerfiles : composeFiles).push(file);
    return { dockerfiles: dockerfiles.sort(), composeFiles: composeFiles.sort() };
  }

  /** `appeared`: the root was missing and is here now, so all it holds is new, not inventory. */
  #scan(root: string, appeared = false): void {
    const scan = new AbortController();
    this.#scans.set(root, scan);
    this.#scanQueue = this.#scanQueue
      .then(() => this.#scanRoot(root, scan.signal, appeared))
      .catch((error: unknown) => this.#logger.error('scanning a watched folder failed', { root, error }))
      .finally(() => {
        if (this.#scans.get(root) !== scan) return;
        this.#scans.delete(root);
        if (this.#scans.size === 0) this.#logReady();
      });
  }

  async #scanRoot(root: string, signal: AbortSignal, appeared: boolean): Promise<void> {
    if (signal.aborted) return;
    const folders = await listFolders(root);
    if (signal.aborted) return;
    if (folders === null) {
      // Not there (yet), or not a folder: looked for until it appears. (chokidar's own watch of a
      // missing path's parent lost the folder when it was made while that watch was being set up.)
      this.#awaitRoot(root);
      return;
    }
    for (const { folder } of folders) this.#listed.add(folder);
    for (const folders_ of chunkFolders(folders)) {
      if (signal.aborted) return;
      const chunk: Chunk = { root, watcher: watch(folders_, { ...watchOptions(() => this.#roots), depth: 0 }), ready: false };
      this.#chunks.add(chunk);
      this.#listen(chunk.watcher, () => !appeared && !chunk.ready, true, () => this.#chunks.has(chunk));
      await new Promise<void>((resolve) => {
        chunk.watcher.once('ready', resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      chunk.ready = true;
    }
    await this.#catchUp(root, appeared, signal);
  }

  /**
   * chokidar reads a folder before it watches it: a project file made in between is never
   * reported. So once a watcher is ready, its folder is listed again and what it missed is taken
   * in: reported as added when the folder is new (`report`), else only counted.
   */
  async #catchUp(folder: string, report: boolean, signal?: AbortSignal): Promise<void> {
    const missed: string[] = [];
    await listFolders(folder, (file) => {
      if (projectFileKind(path.basename(file)) !== null && !this.#files.has(file)) missed.push(file);
    });
    if (signal?.aborted === true || !this.#started) return;
    // listFolders does not go into skipped folders, and `folder` itself was checked before it was watched.
    for (const file of missed) if (!this.#files.has(file)) this.#seen('added', file, !report);
  }

  /** `alive`: false once the watcher is retired; what it still reports then is dropped. */
  #listen(watcher: FSWatcher, initial: () => boolean, chunk: boolean, alive: () => boolean): void {
    watcher.on('add', (file) => alive() && this.#seen('added', file, initial()));
    watcher.on('change', (file) => alive() && this.#seen('changed', file, initial()));
    watcher.on('unlink', (file) => {
      if (!alive()) return;
      // A chunk at depth 0 reports a subfolder it does not descend into as a plain unlink.
      this.#folderGone(file);
      this.#seen('removed', file, initial());
    });
    watcher.on('unlinkDir', (folder) => alive() && this.#folderGone(folder));
    if (chunk) watcher.on('addDir', (folder) => alive() && void this.#folderAppeared(folder));
    watcher.on('error', (error) => this.#failed(error as NodeJS.ErrnoException));
  }

  #awaitRoot(root: string): void {
    this.#missingRoots.add(root);
    this.#missingTimer ??= setInterval(() => void this.#lookForMissingRoots(), MISSING_ROOT_POLL_MS).unref();
  }

  async #lookForMissingRoots(): Promise<void> {
    for (const root of [...this.#missingRoots]) {
      const stats = await fs.promises.stat(root).catch(() => null);
      if (!this.#missingRoots.has(root) || !this.#roots.includes(root) || !this.#started) {
        this.#missingRoots.delete(root);
        continue;
      }
      if (stats === null || !stats.isDirectory()) continue;
      this.#missingRoots.delete(root);
      this.#checkRoots([root]);
      this.#logger.info('a watched folder appeared', { root });
      this.#scan(root, true);
    }
    if (this.#missingRoots.size === 0 && this.#missingTimer !== null) {
      clearInterval(this.#missingTimer);
      this.#missingTimer = null;
    }
  }

  /** A folder a chunk saw that no scan listed: new since (or skipped). Watch it, recursively. */
  async #folderAppeared(folder: string): Promise<void> {
    if (this.#listed.has(folder) || this.#lateFolders.has(folder) || isInSkippedFolder(folder, this.#roots)) return;
    const stats = await fs.promises.lstat(folder).catch(() => null);
    if (stats === null || !stats.isDirectory() || !this.#started) return;
    if (!this.#roots.some((root) => isWithin(folder, root))) return;
    this.#watchLate(folder);
  }

  #watchLate(folder: string): void {
    if (this.#lateFolders.has(folder)) return;
    const watcher = watch(folder, watchOptions(() => this.#roots));
    this.#lateFolders.set(folder, watcher);
    // Everything it reports is new: the folder appeared after the first scan.
    this.#listen(watcher, () => false, false, () => this.#lateFolders.get(folder) === watcher);
    watcher.once('ready', () => {
      if (this.#lateFolders.get(folder) === watcher) void this.#catchUp(folder, true);
    });
  }

  /**
   * A watcher saw a folder (or what might have been one) go: the project files known below it
   * went with it (its own watcher, now closed, may not have said so yet), and if it comes back
   * it is new again.
   */
  #folderGone(folder: string): void {
    this.#forgetFolder(folder);
    for (const file of [...this.#files.keys()]) {
      if (file !== folder && isWithin(file, folder)) this.#seen('removed', file, false);
    }
  }

  /**
   * Closes a watcher that is no longer needed, and closes it again at stop(): a chokidar watcher
   * whose own path was just removed re-adds that path's parent (to see it come back) a moment
   * later, which reopens it after a close and left a watch on the parent for good. So it is
   * closed again after RETIRE_AGAIN_MS, and at stop() if that has not come yet.
   */
  #retire(watcher: FSWatcher): void {
    this.#retired.add(watcher);
    void watcher.close();
    // Closed again once the re-add has happened, so a long-running daemon holds no such watch.
    setTimeout(() => {
      this.#retired.delete(watcher);
      void watcher.close();
    }, RETIRE_AGAIN_MS).unref();
  }

  #forgetFolder(folder: string): void {
    for (const known of this.#listed) if (isWithin(known, folder)) this.#listed.delete(known);
    for (const [known, watcher] of this.#lateFolders) {
      if (!isWithin(known, folder)) continue;
      this.#lateFolders.delete(known);
      this.#retire(watcher);
    }
  }

  #drop(root: string): void {
    this.#scans.get(root)?.abort();
    this.#scans.delete(root);
    this.#missingRoots.delete(root);
    this.#rootProblems.delete(root);
    for (const chunk of [...this.#chunks]) {
      if (chunk.root !== root) continue;
      this.#chunks.delete(chunk);
      this.#retire(chunk.watcher);
    }
    this.#forgetFolder(root);
    for (const file of [...this.#files.keys()]) if (isWithin(file, root)) this.#files.delete(file);
    if (this.#scans.size === 0 && this.#started && this.#roots.length > 0) this.#logReady();
  }

  #logReady(): void {
    if (!this.#started) return;
    this.#logger.info('watching project folders', {
      roots: this.#roots,
      folders: this.#listed.size + this.#lateFolders.size,
      dockerfiles: [...this.#files.values()].filter((kind) => kind === 'dockerfile').length,
      composeFiles: [...this.#files.values()].filter((kind) => kind === 'compose').length,
    });
  }

  #checkRoots(roots: readonly string[]): void {
    for (const root of roots) {
      try {
        fs.accessSync(root, fs.constants.R_OK | fs.constants.X_OK);
        if (!fs.statSync(root).isDirectory()) this.#rootProblems.set(root, 'not a folder');
        else this.#rootProblems.delete(root);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        this.#rootProblems.set(root, code === 'ENOENT' ? 'no such folder (it is watched for when it appears)' : `cannot read it (${code ?? 'error'})`);
      }
    }
  }

  #seen(kind: ProjectFileEvent['kind'], file: string, initial: boolean): void {
    const type = projectFileKind(path.basename(file));
    if (type === null) return;
    if (kind === 'removed') {
      // Said once: a folder's removal reports its files, and their own unlink may follow.
      if (!this.#files.delete(file)) return;
    } else {
      // Known already (a catch-up listing and chokidar both saw it come): news only as a change.
      if (kind === 'added' && this.#files.has(file)) kind = 'changed';
      this.#files.set(file, type);
    }
    // A first scan reports every existing file as added: that is the inventory, not a change.
    if (initial) return;
    this.#logger.debug('project file event', { kind, file });
    this.#onEvent({ kind, file });
  }

  #failed(error: NodeJS.ErrnoException): void {
    const limit = describeWatchLimit(error.code);
    if (limit !== null) {
      if (this.#problem === null) this.#logger.warn('watch limit reached', { code: error.code, fix: limit });
      this.#problem = limit;
      return;
    }
    this.#logger.warn('file watcher error', { code: error.code, error });
  }
}

/**
 * Calls `onChange` when one file (the settings file) is created or written, however it is
 * written. Its folder is watched, not the file: an atomic save replaces the file's inode.
 */
export function watchSingleFile(file: string, onChange: () => void): { stop(): Promise<void> } {
  const dir = path.dirname(file);
  ensurePrivateDirSync(dir);
  const watcher = watch(dir, { ignoreInitial: true, depth: 0, atomic: true, ignored: (candidate) => candidate !== dir && candidate !== file });
  const fire = (): void => onChange();
  watcher.on('add', fire);
  watcher.on('change', fire);
  watcher.on('error', () => undefined);
  return { stop: () => watcher.close() };
}
