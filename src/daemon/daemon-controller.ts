/**
 * The daemon: owns its parts and their start/stop order (zigbee2mqtt's controller pattern).
 * Start: lock → settings → cycle queue → control socket → file watcher → settings watcher →
 * engine events → schedule → startup cycle. Stop undoes it in reverse, after letting the
 * running cycle finish (or abandoning it past a grace period: tag moves are journalled).
 * Every trigger goes through one queue, so at most one cycle runs and bursts coalesce.
 */
import path from 'node:path';
import { ImageFactsShelf } from '../inventory/image-facts-cache.js';
import { ImageListMemo } from '../inventory/image-list-memo.js';
import { ProjectFileCache } from '../inventory/project-file-cache.js';
import { ConfigError, configFilePath, loadSettings } from '../config/settings-file.js';
import type { Settings } from '../config/settings.js';
import type { BasewatchPaths } from '../config/paths.js';
import type { CycleResult, CycleTrigger } from '../record/cycle-result.js';
import { runUpdateCycle } from '../pipeline/update-cycle.js';
import { CycleNotifier } from '../notify/cycle-notifier.js';
import { type ControlCycleBody, ControlServer } from './control-server.js';
import type { DaemonStatus } from './control-protocol.js';
import { type CycleRequest, CycleQueue } from './cycle-queue.js';
import { type DaemonLock, type LockProbes, acquireDaemonLock, defaultProbes } from './daemon-lock.js';
import { type Debouncer, createDebouncer } from './debounce.js';
import { EngineEventGate } from './engine-event-gate.js';
import { EngineWatcher } from './engine-watcher.js';
import { ProjectFileWatcher, watchSingleFile } from './file-watcher.js';
import type { Logger } from '../util/logger.js';
import { Scheduler } from './scheduler.js';
import { recheckEditedFiles } from './quick-recheck.js';
import { RegistryAnswers } from './registry-answers.js';
import { takeSetAsideNotices } from '../util/read-bounded-file.js';

export type CycleRunner = (request: CycleRequest, settings: Settings, onProgress: (message: string) => void) => Promise<CycleResult>;

export interface DaemonOptions {
  readonly paths: BasewatchPaths;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly version: string;
  readonly logFile: string;
  /** Default: the update pipeline (runUpdateCycle). */
  readonly runCycle?: CycleRunner;
  /** Quiet time after the last file/engine event before a cycle. Default 500 ms. */
  readonly debounceMs?: number;
  /** How long a running cycle may finish on stop. Default 20 s (systemd waits 60 s, see the unit). */
  readonly stopGraceMs?: number;
  readonly lockProbes?: LockProbes;
}

export type DaemonStartResult = { readonly ok: true } | { readonly ok: false; readonly message: string; readonly pid: number | null };

interface Part {
  readonly name: string;
  stop(): Promise<void> | void;
}

function describeFiles(files: readonly string[]): string {
  const unique = [...new Set(files)];
  return unique.length <= 3 ? unique.join(', ') : `${unique.slice(0, 3).join(', ')} and ${unique.length - 3} more`;
}

export class DaemonController {
  readonly #options: DaemonOptions;
  readonly #logger: Logger;
  readonly #startedAt = new Date();
  readonly #parts: Part[] = [];
  #settings: Settings | null = null;
  #lock: DaemonLock | null = null;
  #queue: CycleQueue | null = null;
  #notifier: CycleNotifier | null = null;
  #files: ProjectFileWatcher | null = null;
  #engine: EngineWatcher | null = null;
  #scheduler: Scheduler | null = null;
  #lastCycle: CycleResult | null = null;
  #lastError: string | null = null;
  /** Keeps the engine events the daemon's own cycles cause from triggering cycles. */
  #engineEventGate: EngineEventGate | null = null;
  /** Events waiting for their quiet time to pass (file saves, engine events) before they queue a cycle. */
  #debouncers: Array<Debouncer<string>> = [];
  #stopping: Promise<void> | null = null;

  constructor(options: DaemonOptions) {
    this.#options = options;
    this.#logger = options.logger;
  }

  get settings(): Settings {
    if (this.#settings === null) throw new Error('daemon not started');
    return this.#settings;
  }

  async start(): Promise<DaemonStartResult> {
    const { paths, logger } = this.#options;
    const locked = await acquireDaemonLock(paths, this.#options.lockProbes ?? defaultProbes);
    if (!locked.ok) return { ok: false, message: locked.message, pid: locked.pid };
    this.#lock = locked.lock;
    this.#parts.push({ name: 'lock', stop: () => locked.lock.release() });
    for (const cleaned of locked.cleaned) logger.info('removed a stale leftover of a daemon that died', { file: cleaned });

    try {
      this.#settings = loadSettings(paths.config);
      await this.#startParts();
    } catch (error) {
      await this.stop();
      throw error;
    }
    logger.info('daemon started', { pid: process.pid, version: this.#options.version, roots: this.settings.roots, schedule: this.settings.schedule });
    return { ok: true };
  }

  async #startParts(): Promise<void> {
    const { paths, logger } = this.#options;
    this.#notifier = new CycleNotifier({ stateDir: paths.state, logger: logger.child('notify'), settings: () => this.settings, env: this.#options.env });

    const queue = new CycleQueue({
      run: (request, onProgress) => this.#runCycle(request, onProgress),
      logger: logger.child('cycle'),
      onFinished: (result) => this.#afterCycle(result),
      onFailed: () => this.#engineEventGate?.cycleFailed(),
    });
    this.#queue = queue;

    const server = new ControlServer(this.#lock!.socketPath, {
      status: () => this.status(),
      lastCycle: () => this.#lastCycle,
      watchCycle: (body) => queue.watch(this.#cliRequest(body)),
      reload: async () => this.#reload('control request'),
    }, logger.child('control'));
    await server.start();
    this.#parts.push({ name: 'control socket', stop: () => server.stop() });
    // Stopped before the socket (parts stop in reverse): a CLI waiting on the running cycle
    // still gets its answer, and new requests get a "stopping" answer instead of a reset.
    this.#parts.push({ name: 'cycles', stop: async () => {
      const finished = await queue.stop(this.#options.stopGraceMs ?? 20_000);
      if (!finished) logger.warn('abandoning the running cycle: tag moves are journalled and finish on the next start');
    } });

    const debounceMs = this.#options.debounceMs ?? 500;
    const fileChanges: Debouncer<string> = createDebouncer({
      delayMs: debounceMs,
      maxWaitMs: debounceMs * 4,
      flush: (files) => queue.enqueue({ trigger: { kind: 'files', detail: describeFiles(files) }, images: [], dryRun: false }),
    });
    this.#debouncers.push(fileChanges);
    // The quick path of an edit (issue 14): read again and saved at once, beside the cycle queued above.
    const quickDelayMs = Math.min(100, debounceMs);
    const quickChanges: Debouncer<string> = createDebouncer({ delayMs: quickDelayMs, maxWaitMs: quickDelayMs * 4, flush: (edited) => this.#recheckQuickly(edited) });
    this.#debouncers.push(quickChanges);
    const files = new ProjectFileWatcher({
      roots: this.settings.roots,
      logger: logger.child('files'),
      onEvent: (event) => {
        fileChanges.push(event.file);
        if (this.#options.runCycle === undefined) quickChanges.push(event.file);
      },
    });
    this.#files = files;
    this.#parts.push({ name: 'file watcher', stop: async () => {
      fileChanges.cancel();
      quickChanges.cancel();
      await files.stop();
      await this.#quickRunning;
    } });
    files.start();

    const settingsWatch = watchSingleFile(configFilePath(paths.config), () => void this.#reload('settings file changed'));
    this.#parts.push({ name: 'settings watcher', stop: () => settingsWatch.stop() });

    const engineEvents: Debouncer<string> = createDebouncer({
      delayMs: debounceMs,
      maxWaitMs: debounceMs * 4,
      // An event about a base (pulled, re-tagged) is news for the images built on it too.
      flush: (images) => queue.enqueue({ trigger: { kind: 'engine', detail: [...new Set(images)].join(', ') }, images: [...new Set(images)], withDependents: true, dryRun: false }),
    });
    this.#debouncers.push(engineEvents);
    const gate = new EngineEventGate({ running: () => queue.running, forward: (image) => engineEvents.push(image), logger: logger.child('engine') });
    this.#engineEventGate = gate;
    const engine = new EngineWatcher({
      logger: logger.child('engine'),
      connect: { env: this.#options.env },
      onImage: (image, event) => gate.push(image, event),
      // Any image event, ours too, makes the kept image list stale; so does a dropped stream.
      onAnyImageEvent: () => this.#imageList.changed(),
      onFollowing: (following) => this.#imageList.following(following),
      onReconnected: () => queue.enqueue({ trigger: { kind: 'engine', detail: 'engine reconnected' }, images: [], dryRun: false }),
    });
    this.#engine = engine;
    this.#parts.push({ name: 'engine events', stop: async () => {
      engineEvents.cancel();
      await engine.stop();
    } });
    engine.start();

    const scheduler = new Scheduler({ expression: this.settings.schedule, logger: logger.child('schedule'), onDue: (trigger) => queue.enqueue({ trigger, images: [], dryRun: false }) });
    this.#scheduler = scheduler;
    this.#parts.push({ name: 'schedule', stop: () => scheduler.stop() });
    scheduler.start();

    queue.enqueue({ trigger: { kind: 'startup' }, images: [], dryRun: false });
  }

  #cliRequest(body: ControlCycleBody): CycleRequest {
    const trigger: CycleTrigger = body.reason === undefined ? { kind: 'cli' } : { kind: 'cli', detail: body.reason };
    return { trigger, images: body.images, dryRun: body.dryRun };
  }

  async #runCycle(request: CycleRequest, onProgress: (message: string) => void): Promise<CycleResult> {
    try {
      return await this.#runPipeline(request, onProgress);
    } catch (error) {
      this.#lastError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  /** What each image ID's config and history say, learned once for the daemon's life (never stale: an ID is its content). */
  readonly #imageFacts = new ImageFactsShelf();
  /** The project files as last read, and their parses: a cycle or an edit reads again only the files that changed. */
  readonly #projectFiles = new ProjectFileCache();
  /** The engine's image list as the last cycle (or edit) read it, until an engine event says otherwise. */
  readonly #imageList = new ImageListMemo();
  /** What the registries last answered the cycles: an edit's verdicts come from these at once. */
  readonly #answers = new RegistryAnswers();
  /** Edited files waiting for the quick recheck, the one running, and when each file was last re-read that way. */
  readonly #quickFiles = new Set<string>();
  #quickRunning: Promise<void> | null = null;
  readonly #quickAt = new Map<string, number>();

  /**
   * Re-reads edited files and saves their verdicts from the registries' last answers, one recheck
   * at a time (edits meanwhile go in the next); never waits for the cycle queue.
   */
  #recheckQuickly(files: readonly string[]): void {
    for (const file of files) this.#quickFiles.add(file);
    if (this.#quickRunning !== null) return;
    this.#quickRunning = (async () => {
      while (this.#quickFiles.size > 0 && this.#stopping === null) {
        const batch = [...this.#quickFiles];
        this.#quickFiles.clear();
        const at = Date.now();
        for (const file of batch) this.#quickAt.set(file, at);
        this.#logger.debug('re-reading edited files', { files: describeFiles(batch) });
        const reusesBefore = this.#imageList.reuses;
        try {
          const done = await recheckEditedFiles({
            settings: this.settings,
            paths: this.#options.paths,
            env: this.#options.env,
            cwd: this.#cwd(),
            imageFacts: this.#imageFacts,
            projectFiles: this.#projectFiles,
            answers: this.#answers,
            imageList: this.#imageList,
            knownFiles: this.#files?.knownFiles() ?? null,
            files: batch,
            onProgress: (message) => this.#logger.debug('re-reading edited files', { message }),
          });
          this.#logger.info('edited files re-read', { files: describeFiles(batch), images: done.images.map((image) => `${image.name} ${image.status}`), filesRead: done.filesRead, imageListReused: this.#imageList.reuses > reusesBefore, ms: done.ms });
        } catch (error) {
          this.#logger.warn('edited files not re-read: the queued cycle will', { files: describeFiles(batch), error });
        }
      }
    })().finally(() => {
      this.#quickRunning = null;
    });
  }

  /** runCheck scans the working folder when given no roots; the runtime folder holds no Dockerfiles. */
  #cwd(): string {
    const settings = this.settings;
    return settings.roots.length > 0 ? settings.roots[0]! : this.#options.paths.runtime;
  }

  #runPipeline(request: CycleRequest, onProgress: (message: string) => void): Promise<CycleResult> {
    const settings = this.settings;
    if (this.#options.runCycle !== undefined) return this.#options.runCycle(request, settings, onProgress);
    const { paths, env } = this.#options;
    // A daemon with no roots yet checks local images only (see #cwd).
    const cwd = this.#cwd();
    return runUpdateCycle({
      env,
      cwd,
      roots: settings.roots,
      images: request.images,
      // Asked per request, not by the cycle's trigger: an engine event folded into a CLI request
      // still re-checks the images built on the pulled base.
      withDependents: request.withDependents === true,
      dryRun: request.dryRun,
      settings,
      paths,
      trigger: request.trigger,
      onProgress: (message) => {
        onProgress(message);
        this.#logger.debug('cycle progress', { message });
      },
      imageFacts: this.#imageFacts,
      projectFiles: this.#projectFiles,
      imageList: this.#imageList,
      wrapRegistry: (client) => this.#answers.remembering(client),
    });
  }

  async #afterCycle(result: CycleResult): Promise<void> {
    if (!result.dryRun) this.#lastCycle = result;
    // Files deleted or left out of the roots would stay in memory for the daemon's life.
    this.#projectFiles.bound();
    // What the cycle did besides its plan (a tag move a killed run left, finished first; a file of
    // basewatch's own set aside) is said in the log; the cycle's result carries it too.
    for (const warning of result.warnings ?? []) this.#logger.warn('cycle warning', { warning });
    // Own files a reader set aside with no warning of its own (history, notification memory, tag
    // caches): said with the cycle that read them (the notifier's, with the next one).
    for (const warning of takeSetAsideNotices()) this.#logger.warn('cycle warning', { warning });
    this.#lastError = null;
    // The cycle saved what it read when it started: a file re-read quickly since is read again
    // (cheap), so `status` does not fall back to the older file while the queued cycle runs.
    const started = Date.parse(result.startedAt);
    const again = [...this.#quickAt].filter(([, at]) => at >= started).map(([file]) => file);
    for (const [file, at] of this.#quickAt) if (at < started) this.#quickAt.delete(file);
    if (again.length > 0 && this.#options.runCycle === undefined) this.#recheckQuickly(again);
    // Before notifying: the held events that are not ours may already queue the next cycle.
    this.#engineEventGate?.cycleDone(result);
    try {
      await this.#notifier?.notifyCycle(result);
    } catch (error) {
      this.#logger.error('notifying failed', { error });
    }
  }

  /** Re-reads the settings (SIGHUP, `basewatch watch`, the settings file changing). */
  reload(why: string): Promise<void> {
    return this.#reload(why);
  }

  async #reload(why: string): Promise<void> {
    let next: Settings;
    try {
      next = loadSettings(this.#options.paths.config);
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : String(error);
      this.#logger.warn('settings not reloaded: keeping the previous ones', { why, problem: message });
      return;
    }
    const previous = this.#settings;
    this.#settings = next;
    this.#files?.setRoots(next.roots);
    this.#scheduler?.setExpression(next.schedule);
    this.#logger.info('settings reloaded', { why });
    const rootsChanged = previous === null || JSON.stringify(previous.roots) !== JSON.stringify(next.roots);
    if (rootsChanged) this.#queue?.enqueue({ trigger: { kind: 'files', detail: 'watched folders changed' }, images: [], dryRun: false });
  }

  status(): DaemonStatus {
    const now = Date.now();
    const queue = this.#queue;
    const running = queue?.running ?? null;
    const last = this.#lastCycle;
    const files = this.#files?.snapshot() ?? { state: 'off' as const, roots: [], problem: null };
    const engine = this.#engine?.snapshot() ?? { state: 'connecting' as const, host: null, source: null, since: this.#startedAt.toISOString(), problem: null, nextAttemptAt: null };
    return {
      pid: process.pid,
      version: this.#options.version,
      startedAt: this.#startedAt.toISOString(),
      uptimeSeconds: Math.round((now - this.#startedAt.getTime()) / 1000),
      socket: this.#lock?.socketPath ?? '',
      logFile: this.#options.logFile,
      engine,
      schedule: this.#scheduler?.snapshot() ?? { expression: this.#settings?.schedule ?? '', nextRunAt: null, lastRunAt: null },
      watcher: { state: files.state, roots: [...files.roots], problem: files.problem },
      cycles: {
        running: running === null ? null : { trigger: running.request.trigger, startedAt: running.startedAt.toISOString(), progress: running.progress },
        pending: queue?.pending ?? 0,
        waitingEvents: this.#debouncers.reduce((sum, debouncer) => sum + debouncer.waiting, 0) + (this.#engineEventGate?.held ?? 0),
        completed: queue?.completed ?? 0,
        last: last === null ? null : {
          trigger: last.trigger,
          startedAt: last.startedAt,
          finishedAt: last.finishedAt,
          dryRun: last.dryRun,
          images: last.report.images.length,
          outdated: last.report.images.filter((image) => image.status === 'outdated').length,
          errors: last.report.errors.length,
          actions: last.actions.map((action) => ({ kind: action.kind, target: action.target, reason: action.reason })),
        },
        lastError: this.#lastError,
      },
      notifications: this.#notifier?.status() ?? { desktop: 'not started', webhook: null },
    };
  }

  /** Stops every part in reverse order; safe to call more than once (a second signal). */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#logger.info('daemon stopping');
      for (const part of [...this.#parts].reverse()) {
        try {
          await part.stop();
        } catch (error) {
          this.#logger.error('part failed to stop', { part: part.name, error });
        }
      }
      this.#parts.length = 0;
      this.#logger.info('daemon stopped');
    })();
    return this.#stopping;
  }
}

export const DAEMON_LOG_FILE = 'daemon.log';

export function daemonLogFile(paths: Pick<BasewatchPaths, 'logs'>): string {
  return path.join(paths.logs, DAEMON_LOG_FILE);
}
