/** `basewatch rebase` and `basewatch rollback`. */
import { type RebaseOutcome, rebaseImage, unstartedRebase } from '../act/rebase/rebase-image.js';
import { reasonsAdviseRebuild } from '../act/rebase/prepare-rebase.js';
import { TagMoveLockTimeoutError } from '../act/tag-moves/tag-move-lock.js';
import { type RollbackOutcome, rollbackImage } from '../act/rollback-image.js';
import { openRegistryParts } from '../pipeline/cycle-parts.js';
import path from 'node:path';
import { linkForAct } from '../pipeline/link-for-act.js';
import { progressLine } from './progress-line.js';
import { cliPaths, engineOrExit, lockBusyExit, settingsOrExit } from './cli-context.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { shortDigest, shortRef } from './render-check.js';
import { familiarImageRef, parseImageRef } from '../refs/image-ref.js';
import { type Style, colorEnabled, createStyle } from './style.js';
import { finishLeftovers } from '../act/tag-moves/leftovers.js';

export interface RebaseCommandOptions {
  readonly image: string;
  readonly to: string | null;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly json: boolean;
  /** Where compose files and Dockerfiles are read for the link; none: as `check` does. */
  readonly roots: readonly string[];
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** What rebuilds an image the rebase refused: its known Dockerfile, or the link that makes one known. */
export interface RebuildHint {
  readonly source: { readonly dockerfile: string } | null;
  readonly suggestedLink: { readonly shown: string; readonly command: string } | null;
}

function rebuildInstead(image: string, hint: RebuildHint | null): string {
  if (hint === null || hint.source !== null) {
    const from = hint?.source ? ` (${hint.source.dockerfile})` : '';
    return `Rebuild it from its Dockerfile instead: basewatch rebuild ${image}${from}`;
  }
  if (hint.suggestedLink !== null) {
    return `Rebuild it from its Dockerfile instead: it looks built from ${hint.suggestedLink.shown}; confirm with ${hint.suggestedLink.command}, then basewatch rebuild ${image}`;
  }
  return `Rebuild it from its Dockerfile instead: no Dockerfile is known for it; say which with basewatch link ${image} <Dockerfile>, then basewatch rebuild ${image}`;
}

/**
 * The old base as the link names it: the tag the image was built FROM, or none when it was built
 * from a digest (parsing a name without its digest would make up `:latest`, a tag never used).
 */
export function oldBaseName(base: { readonly ref: string; readonly digest: string | null }): string {
  // Known only by its image ID (a nameless base on the containerd store): that is its name here.
  if (/^sha256:[0-9a-f]{64}$/.test(base.ref)) return base.digest === null ? shortDigest(base.ref) : `${shortDigest(base.ref)} (${shortDigest(base.digest)})`;
  const parsed = parseImageRef(base.ref);
  if (!parsed.ok) return base.ref;
  return `${familiarImageRef({ ...parsed.ref, digest: null })}@${shortDigest(base.digest ?? parsed.ref.digest)}`;
}

export function renderRebase(outcome: RebaseOutcome, style: Style, hint: RebuildHint | null = null): string {
  const out: string[] = [];
  const newBase = outcome.newBase === null ? '?' : `${shortRef(outcome.newBase.ref)}@${shortDigest(outcome.newBase.digest)}`;
  switch (outcome.status) {
    case 'rebased':
      out.push(style.green(`Rebased ${outcome.image} onto ${newBase}`));
      break;
    case 'dry-run':
      out.push(style.bold(`Would rebase ${outcome.image} onto ${newBase} (dry run: nothing changed)`));
      break;
    case 'current':
      out.push(`${outcome.image}: ${outcome.reasons.join('; ')}`);
      break;
    case 'skipped':
      out.push(style.yellow(`Not rebased: ${outcome.image}: its tags were re-pointed while it was rebasing`));
      for (const reason of outcome.reasons) out.push(`  - ${reason}`);
      break;
    case 'refused':
      out.push(style.yellow(`Not rebased: ${outcome.image}`));
      for (const reason of outcome.reasons) out.push(`  - ${reason}`);
      // A reason that already says how to rebuild (an unknown old base, which --force does not
      // override either) is the advice: said once.
      if (!reasonsAdviseRebuild(outcome.image, outcome.reasons)) {
        out.push(`${rebuildInstead(outcome.image, hint)}; --force overrides only the seam check, when you know the app layers do not depend on the base.`);
      }
      break;
    case 'failed':
      out.push(style.red(`Rebase of ${outcome.image} failed; nothing was changed`));
      for (const reason of outcome.reasons) out.push(`  - ${reason}`);
      break;
  }
  if (outcome.status === 'rebased' || outcome.status === 'dry-run') {
    if (outcome.oldBase !== null) {
      out.push(`  base      ${oldBaseName(outcome.oldBase)} → ${newBase}`);
    }
    if (outcome.newImageId !== null) out.push(`  image     ${shortDigest(outcome.oldImageId)} → ${shortDigest(outcome.newImageId)}`);
    out.push(`  tags      ${outcome.tags.join(', ')}`);
    const path = outcome.fastPath === null ? '' : outcome.fastPath ? `, ${outcome.baseLayersSkipped} base layers already in the engine` : ', full image loaded';
    out.push(`  layers    ${outcome.layersReused} app layer(s) reused${path}`);
    if (outcome.status === 'rebased') out.push(`  moved     ${formatBytes(outcome.bytesMoved)} in ${outcome.seconds.toFixed(1)} s`);
    const summary = outcome.packages?.summary ?? 'unknown';
    // The summary names the first change; the history keeps every one.
    const all = outcome.status === 'rebased' && /\b\d+ (more|changed|added|removed)\b/.test(summary) ? ` (all of them: basewatch history ${outcome.image})` : '';
    out.push(`  packages  ${summary}${all}`);
    if (outcome.status === 'rebased') out.push(`  undo      basewatch rollback ${outcome.image}`);
  }
  for (const warning of outcome.warnings) out.push(style.yellow(`  warning: ${warning}`));
  return `${out.join('\n')}\n`;
}

export async function runRebaseCommand(options: RebaseCommandOptions, io: CliIo): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const settings = settingsOrExit(io);
  if (typeof settings === 'number') return settings;
  const engine = await engineOrExit(io);
  if (typeof engine === 'number') return engine;
  const paths = cliPaths(io);
  const { registry, credentials } = openRegistryParts(settings, io.env);
  const progress = progressLine(io, options.json);
  try {
    // Before the link's own check: it must see whole images, not a tag move a killed run left.
    const leftovers = await finishLeftovers(engine, paths.state);
    progress.update('linking it to its base');
    const roots = options.roots.map((root) => path.resolve(io.cwd, root));
    const linked = await linkForAct({ engine, settings, paths, env: io.env, cwd: io.cwd, roots, image: options.image });
    const acted = linked.ok
      ? await rebaseImage(
          { engine, registry, credentials, stateDir: paths.state, smokeTest: settings.smokeTest, onProgress: (step) => progress.update(step) },
          { image: options.image, to: options.to, dryRun: options.dryRun, force: options.force, linked: linked.linked },
        )
      : unstartedRebase(options.image, [linked.message.includes(' is ignored ') ? linked.message : `${linked.message} (see \`docker image ls\`)`]);
    const outcome = { ...acted, warnings: [...leftovers, ...acted.warnings] };
    progress.done();
    const dockerfile = linked.ok ? (linked.source?.dockerfile ?? null) : null;
    const hint = linked.ok ? { source: dockerfile === null ? null : { dockerfile }, suggestedLink: linked.suggestedLink ?? null } : null;
    io.stdout.write(options.json ? `${JSON.stringify(outcome, null, 2)}\n` : renderRebase(outcome, style, hint));
    switch (outcome.status) {
      case 'refused':
        return EXIT.refused;
      case 'failed':
        return EXIT.failed;
      default:
        return EXIT.ok;
    }
  } finally {
    await registry.close();
  }
}

export function renderRollback(outcome: RollbackOutcome, style: Style): string {
  const lines =
    outcome.status === 'rolled-back'
      ? [style.green(`Rolled back ${outcome.image}: ${outcome.tags.join(', ')} → ${shortDigest(outcome.toId)} (was ${shortDigest(outcome.fromId)})`)]
      : [style.yellow(`Nothing rolled back: ${outcome.reasons.join('; ')}`)];
  for (const warning of outcome.warnings) lines.push(style.yellow(`  warning: ${warning}`));
  return `${lines.join('\n')}\n`;
}

export async function runRollbackCommand(options: { image: string; json: boolean }, io: CliIo): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const engine = await engineOrExit(io);
  if (typeof engine === 'number') return engine;
  let outcome: RollbackOutcome;
  try {
    outcome = await rollbackImage({ engine, stateDir: cliPaths(io).state }, options.image);
  } catch (error) {
    if (!(error instanceof TagMoveLockTimeoutError)) throw error;
    return lockBusyExit(io, 'nothing was rolled back', error);
  }
  io.stdout.write(options.json ? `${JSON.stringify(outcome, null, 2)}\n` : renderRollback(outcome, style));
  return outcome.status === 'rolled-back' ? EXIT.ok : outcome.status === 'nothing' ? EXIT.refused : EXIT.failed;
}
