/**
 * The one module that imports chokidar. Watches the roots for Dockerfiles and compose files
 * (added, changed, removed), never descending into dependency/VCS folders, and keeps a count per
 * root for `status`. Editors that save atomically (write a temp file, rename it over) show up as
 * a change of the real file: chokidar's `atomic` option folds the unlink+add pair.
 * Running out of OS watches (inotify's max_user_watches: ENOSPC; EMFILE elsewhere) is reported
 * through `problem`, never fatal: scheduled checks still find the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { SKIPPED_FOLDERS, projectFileKind } from '../inventory/find-project-files.js';
import type { Logger } from './logger.js';

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

/** Pure: whether a path is inside a folder basewatch never looks in. */
export function isInSkippedFolder(file: string): boolean {
  return file.split(path.sep).some((part) => SKIPPED_FOLDERS.has(part));
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

export interface FileWatcherOptions {
  readonly roots: readonly string[];
  readonly logger: Logger;
  /** Called for each change after the initial scan; failures are the caller's to catch. */
  readonly onEvent: (event: ProjectFileEvent) => void;
}

export class ProjectFileWatcher {
  readonly #logger: Logger;
  readonly #onEvent: (event: ProjectFileEvent) => void;
  #roots: string[];
  #watcher: FSWatcher | null = null;
  #ready = false;
  #started = false;
  #problem: string | null = null;
  readonly #rootProblems = new Map<string, string>();
  /** Every project file seen, with its kind. */
  readonly #files = new Map<string, 'dockerfile' | 'compose'>();

  constructor(options: FileWatcherOptions) {
    this.#roots = [...options.roots];
    this.#logger = options.logger;
    this.#onEvent = options.onEvent;
  }

  /**
   * Starts watching; does not wait for the initial scan (a large tree takes a while), `snapshot()`
   * says `starting` until it is done. With no roots there is nothing to watch until `setRoots`.
   */
  start(): void {
    this.#started = true;
    this.#checkRoots(this.#roots);
    if (this.#roots.length > 0) this.#open(this.#roots);
  }

  #open(roots: readonly string[]): void {
    this.#ready = false;
    const watcher = watch([...roots], {
      ignoreInitial: false,
      followSymlinks: false,
      atomic: true,
      ignorePermissionErrors: true,
      ignored: (file, stats) => {
        if (isInSkippedFolder(file)) return true;
        // Only files need a name test; folders must be walked into.
        return stats !== undefined && stats.isFile() && projectFileKind(path.basename(file)) === null;
      },
    });
    this.#watcher = watcher;
    watcher.on('add', (file) => this.#seen('added', file));
    watcher.on('change', (file) => this.#seen('changed', file));
    watcher.on('unlink', (file) => this.#seen('removed', file));
    watcher.on('error', (error) => this.#failed(error as NodeJS.ErrnoException));
    watcher.once('ready', () => {
      if (this.#watcher !== watcher) return;
      this.#ready = true;
      this.#logger.info('watching project folders', {
        roots: this.#roots,
        dockerfiles: [...this.#files.values()].filter((kind) => kind === 'dockerfile').length,
        composeFiles: [...this.#files.values()].filter((kind) => kind === 'compose').length,
      });
    });
  }

  async stop(): Promise<void> {
    this.#started = false;
    const watcher = this.#watcher;
    this.#watcher = null;
    this.#ready = false;
    this.#files.clear();
    if (watcher !== null) await watcher.close();
  }

  /** Follows a change of settings.roots without restarting. */
  setRoots(roots: readonly string[]): void {
    const next = [...new Set(roots)];
    const added = next.filter((root) => !this.#roots.includes(root));
    const removed = this.#roots.filter((root) => !next.includes(root));
    this.#roots = next;
    for (const root of removed) this.#rootProblems.delete(root);
    this.#checkRoots(added);
    if (this.#watcher === null) {
      if (this.#started && next.length > 0) this.#open(next);
      return;
    }
    if (removed.length > 0) {
      this.#watcher.unwatch(removed);
      for (const file of [...this.#files.keys()]) if (removed.some((root) => isUnder(file, root))) this.#files.delete(file);
    }
    if (added.length > 0) this.#watcher.add(added);
    if (added.length + removed.length > 0) this.#logger.info('watched roots changed', { added, removed });
  }

  snapshot(): FileWatcherSnapshot {
    const roots = this.#roots.map((root): RootCount => {
      let dockerfiles = 0;
      let composeFiles = 0;
      for (const [file, kind] of this.#files) {
        if (!isUnder(file, root)) continue;
        if (kind === 'dockerfile') dockerfiles += 1;
        else composeFiles += 1;
      }
      return { root, dockerfiles, composeFiles, problem: this.#rootProblems.get(root) ?? null };
    });
    const state = this.#watcher === null ? (this.#roots.length === 0 ? 'off' : 'starting') : !this.#ready ? 'starting' : this.#problem !== null ? 'degraded' : 'watching';
    return { state, roots, problem: this.#problem };
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

  #seen(kind: ProjectFileEvent['kind'], file: string): void {
    const type = projectFileKind(path.basename(file));
    if (type === null) return;
    if (kind === 'removed') this.#files.delete(file);
    else this.#files.set(file, type);
    // The initial scan reports every existing file as added: that is the inventory, not a change.
    if (!this.#ready) return;
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

function isUnder(file: string, root: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Calls `onChange` when one file (the settings file) is created or written, however it is
 * written. Its folder is watched, not the file: an atomic save replaces the file's inode.
 */
export function watchSingleFile(file: string, onChange: () => void): { stop(): Promise<void> } {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const watcher = watch(dir, { ignoreInitial: true, depth: 0, atomic: true, ignored: (candidate) => candidate !== dir && candidate !== file });
  const fire = (): void => onChange();
  watcher.on('add', fire);
  watcher.on('change', fire);
  watcher.on('error', () => undefined);
  return { stop: () => watcher.close() };
}
