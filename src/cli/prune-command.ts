/**
 * `basewatch prune [--older-than DURATION] [--dry-run] [--json]`: remove the basewatch-rollback:*
 * images a rebase or rebuild kept for `basewatch rollback` once they are older than the
 * `keepRollbacks` setting. Their age counts from the move that left them (the history), else from
 * the image's creation.
 */
import type { ImageSummary } from '../engine/docker-engine.js';
import { readHistory, type TagMove } from '../act/tag-moves/history.js';
import { isKeepTag } from '../refs/keep-tags.js';
import { normalizeImageRef } from '../refs/image-ref.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { cliPaths, engineOrExit, settingsOrExit } from './cli-context.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { colorEnabled, createStyle } from './style.js';

export interface PruneCommandOptions {
  /** Only the rollback images of these images (as the history names them); all when empty. */
  readonly images?: readonly string[];
  readonly olderThan: string | null;
  readonly dryRun: boolean;
  readonly json: boolean;
}

export interface RollbackImage {
  readonly tag: string;
  readonly id: string;
  /** When it was kept (ISO 8601): the move that left it, else the image's creation. */
  readonly keptAt: string;
  readonly ageSeconds: number;
  /** The image whose old version it is, when the history says. */
  readonly of: string | null;
}

/** Pure: every keep tag among the images, with its age; the ones older than maxAgeSeconds first in `prune`. */
export function rollbackImages(images: readonly ImageSummary[], history: readonly TagMove[], now: Date, maxAgeSeconds: number): { prune: RollbackImage[]; keep: RollbackImage[] } {
  const prune: RollbackImage[] = [];
  const keep: RollbackImage[] = [];
  for (const image of images) {
    for (const tag of image.repoTags.filter(isKeepTag)) {
      const short = tag.replace(/^docker\.io\/library\//, '');
      const move = history.filter((entry) => entry.keepTag === short || entry.keepTag === tag).at(-1);
      const keptAt = move?.at ?? new Date(image.created * 1000).toISOString();
      const ageSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(keptAt)) / 1000));
      const entry = { tag: short, id: image.id, keptAt, ageSeconds, of: move?.image ?? null };
      (ageSeconds >= maxAgeSeconds ? prune : keep).push(entry);
    }
  }
  const byAge = (a: RollbackImage, b: RollbackImage) => b.ageSeconds - a.ageSeconds;
  return { prune: prune.sort(byAge), keep: keep.sort(byAge) };
}

export async function runPruneCommand(options: PruneCommandOptions, io: CliIo, now: Date = new Date()): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  const settings = settingsOrExit(io);
  if (typeof settings === 'number') return settings;
  const limitText = options.olderThan ?? settings.keepRollbacks;
  const limit = parseDuration(limitText);
  if (limit === null) {
    io.stderr.write(errStyle.red(`basewatch prune: --older-than: expected a duration such as 0, 12h, 7d or 30d (got "${limitText}")\n`));
    return EXIT.usage;
  }
  const engine = await engineOrExit(io);
  if (typeof engine === 'number') return engine;
  const all = rollbackImages(await engine.listImages(), await readHistory(cliPaths(io).state), now, limit);
  const wanted = (options.images ?? []).map((name) => normalizeImageRef(name) ?? name);
  const mine = (entry: RollbackImage) => wanted.length === 0 || (entry.of !== null && wanted.includes(normalizeImageRef(entry.of) ?? entry.of));
  const prune = all.prune.filter(mine);
  const keep = all.keep.filter(mine);
  const removed: RollbackImage[] = [];
  const failed: Array<RollbackImage & { reason: string }> = [];
  if (!options.dryRun) {
    for (const entry of prune) {
      try {
        // Removes our tag; the image goes with it unless it has other names. A container on it keeps it.
        if (await engine.removeImage(entry.tag)) removed.push(entry);
        else failed.push({ ...entry, reason: 'the engine no longer has it' });
      } catch (error) {
        failed.push({ ...entry, reason: error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error) });
      }
    }
  }
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ olderThan: limitText, dryRun: options.dryRun, removed: options.dryRun ? [] : removed, wouldRemove: options.dryRun ? prune : [], failed, kept: keep }, null, 2)}\n`);
  } else {
    const describe = (entry: RollbackImage) => `${entry.tag}${entry.of === null ? '' : ` (old ${entry.of})`}, kept ${formatDuration(entry.ageSeconds)} ago`;
    if (prune.length === 0) io.stdout.write(`No rollback image is older than ${limitText} (keepRollbacks).\n`);
    for (const entry of options.dryRun ? prune : removed) io.stdout.write(`${options.dryRun ? 'would remove' : style.green('removed')}  ${describe(entry)}\n`);
    for (const entry of failed) io.stdout.write(`${style.yellow('kept')}  ${describe(entry)}: ${entry.reason}\n`);
    if (keep.length > 0) io.stdout.write(style.dim(`${keep.length} younger rollback image(s) kept for basewatch rollback\n`));
  }
  return failed.some((entry) => entry.reason !== 'the engine no longer has it') ? EXIT.failed : EXIT.ok;
}
