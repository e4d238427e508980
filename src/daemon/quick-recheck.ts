/**
 * A file edit is a small event (issue 14): an edited Dockerfile or compose file is read again and
 * the verdicts of what it builds recomputed from the registries' last answers (RegistryAnswers),
 * with the images the daemon already knows (the image facts shelf), and the saved report is
 * updated in place, while a full cycle may still be running. Nothing here asks a registry or acts:
 * the files cycle queued behind it does that, and a question no cycle asked yet is said to be
 * pending in the verdict meanwhile.
 */
import path from 'node:path';
import type { BasewatchPaths } from '../config/paths.js';
import type { Settings } from '../config/settings.js';
import type { ImageFactsShelf } from '../inventory/image-facts-cache.js';
import type { ImageListMemo } from '../inventory/image-list-memo.js';
import type { ProjectFileCache } from '../inventory/project-file-cache.js';
import { seenTagsFrom } from '../pipeline/seen-tags.js';
import { peekState } from '../record/state-store.js';
import { runCheck } from '../pipeline/run-check.js';
import { readBuildLinks } from '../record/build-links.js';
import { recordCheck, savedBuiltFrom } from '../record/record-check.js';
import { STATE_FILE_NAME } from '../record/state-store.js';
import type { ImageReport } from '../report/check-report.js';
import type { RegistryAnswers } from './registry-answers.js';

export interface QuickRecheckOptions {
  readonly settings: Settings;
  readonly paths: BasewatchPaths;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly imageFacts: ImageFactsShelf;
  /** The daemon's project files: only the files that changed are read again. */
  readonly projectFiles: ProjectFileCache;
  readonly answers: RegistryAnswers;
  /** The daemon's last image list: reused while no engine event came since it was read. */
  readonly imageList?: ImageListMemo;
  /** The project files the file watcher knows under the roots (null while it is still scanning: then the roots are scanned). */
  readonly knownFiles?: { readonly dockerfiles: readonly string[]; readonly composeFiles: readonly string[] } | null;
  /** The edited files (absolute paths). */
  readonly files: readonly string[];
  readonly now?: () => Date;
  readonly onProgress?: (message: string) => void;
}

export interface QuickRecheckResult {
  /** The images the edited files build, as now saved. */
  readonly images: readonly ImageReport[];
  readonly dockerfiles: number;
  /** Project files opened and read (the others were unchanged since last read). */
  readonly filesRead: number;
  readonly ms: number;
}

/** Pure: does this image come from one of the edited files (its build, its compose service, its suggested Dockerfile)? */
export function builtFrom(image: ImageReport, files: ReadonlySet<string>): boolean {
  return savedBuiltFrom(image, files);
}

export async function recheckEditedFiles(options: QuickRecheckOptions): Promise<QuickRecheckResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const stateFile = path.join(options.paths.state, STATE_FILE_NAME);
  const links = await readBuildLinks(options.paths.state);
  const readsBefore = options.projectFiles.reads;
  const edited = new Set(options.files.map((file) => path.resolve(file)));
  const state = await peekState(stateFile);
  // The images the saved report says the edited files built: an edit (a FROM, a service's image)
  // may leave one built from nothing now, and a full check would say so of it too.
  const before = new Set((state?.lastCheck?.report.images ?? []).filter((image) => builtFrom(image, edited)).map((image) => image.id));
  const check = await runCheck({
    roots: options.settings.roots,
    cwd: options.cwd,
    env: options.env,
    offline: false,
    settings: options.settings,
    cacheDir: options.paths.cache,
    registry: options.answers.replaying(),
    seenTags: state === null ? new Map() : seenTagsFrom(state),
    buildLinks: links.ok ? links.links : [],
    imageFacts: options.imageFacts,
    projectFiles: options.projectFiles,
    ...(options.knownFiles != null ? { projectFileList: options.knownFiles } : {}),
    ...(options.imageList !== undefined ? { imageList: { memo: options.imageList, listing: 'current' as const } } : {}),
    onlyBuiltFrom: { files: edited, images: before },
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
  options.onProgress?.('saving');
  const images = check.report.images.filter((image) => builtFrom(image, edited) || before.has(image.id));
  // Partial: the other images keep the verdicts the last cycle asked the registries for; the
  // project files (Dockerfiles, compose services) are all as read now. No observations: nothing
  // was asked upstream, so no "first seen" changes.
  await recordCheck(stateFile, { report: { ...check.report, images }, observations: [], partial: true, replacedFiles: [...edited] }, startedAt, now().getTime() - startedAt.getTime());
  return { images, dockerfiles: check.report.dockerfiles.length, filesRead: options.projectFiles.reads - readsBefore, ms: now().getTime() - startedAt.getTime() };
}
