/**
 * The link an act command works from, made by the check's own linker with the check's own
 * evidence (compose files under the roots, `basewatch link` records, the tags earlier checks saw):
 * `basewatch rebase` acts on exactly what `basewatch check` reports. Offline: no registry is asked.
 */
import path from 'node:path';
import type { LinkedImage } from '../act/rebase/rebase-image.js';
import type { BasewatchPaths } from '../config/paths.js';
import type { Settings } from '../config/settings.js';
import type { EngineClient } from '../engine/docker-engine.js';
import { readBuildLinks } from '../record/build-links.js';
import type { ImageReport } from '../report/check-report.js';
import { STATE_FILE_NAME } from '../record/state-store.js';
import { runCheck } from './run-check.js';
import { readSeenTags } from './seen-tags.js';
import { shownPath } from './suggest-links.js';

export interface LinkForActOptions {
  readonly engine: EngineClient;
  readonly settings: Settings;
  readonly paths: BasewatchPaths;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Folders to read compose files and Dockerfiles from; none: the configured roots, else `cwd`, as `check` does. */
  readonly roots: readonly string[];
  /** A tag, name or id of a local image. */
  readonly image: string;
}

export type LinkForActResult =
  | {
      readonly ok: true;
      readonly linked: LinkedImage;
      /** How the check knows it is built (null: no Dockerfile known), and the Dockerfile its history matches, if any. */
      readonly source: ImageReport['source'];
      readonly suggestedLink: ImageReport['suggestedLink'] | null;
    }
  | { readonly ok: false; readonly message: string };

export async function linkForAct(options: LinkForActOptions): Promise<LinkForActResult> {
  const roots = options.roots.length > 0 ? options.roots : options.settings.roots.length > 0 ? options.settings.roots : [options.cwd];
  const links = await readBuildLinks(options.paths.state);
  const check = await runCheck({
    roots,
    cwd: options.cwd,
    env: options.env,
    offline: true,
    settings: options.settings,
    cacheDir: options.paths.cache,
    images: [options.image],
    seenTags: await readSeenTags(path.join(options.paths.state, STATE_FILE_NAME)),
    buildLinks: links.ok ? links.links : [],
    engine: options.engine,
    // Suggested `basewatch link` commands name the Dockerfile as the person who typed the command would.
    displayCwd: options.cwd,
  });
  const [link, ...others] = check.links;
  const ignored = check.report.ignored?.find((entry) => entry.kind === 'image');
  if (link === undefined && ignored !== undefined) {
    return { ok: false, message: `${ignored.name} is ignored (ignore: ${ignored.glob}): basewatch never touches it; take it out of the ignore setting (basewatch config set ignore …) to act on it` };
  }
  if (link === undefined || others.length > 0) {
    const why = check.report.errors.find((error) => error.where === options.image || error.where === 'engine')?.message;
    return { ok: false, message: `no local image ${options.image}${why === undefined ? '' : `: ${why}`}` };
  }
  const reported = check.report.images.find((image) => image.id === link.image.id);
  const suggested = reported?.suggestedLink ?? null;
  const dockerfile =
    link.source?.dockerfile != null
      ? { shown: shownPath(link.source.dockerfile, options.cwd), linkCommand: null }
      : suggested === null
        ? null
        : { shown: suggested.shown, linkCommand: suggested.command };
  return { ok: true, linked: { link, localImages: check.localImages, dockerfile }, source: link.source, suggestedLink: suggested };
}
