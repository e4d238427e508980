/**
 * `basewatch history [IMAGE]`: every rebase, rebuild and rollback basewatch made, oldest first,
 * from the history file, each with its whole package change (status shows only a summary).
 */
import path from 'node:path';
import { z } from 'zod';
import { HISTORY_FILE, type TagMove, readHistory } from '../act/tag-moves/history.js';
import { didYouMean } from '../refs/closest-names.js';
import { describeWhen } from '../report/when.js';
import { cliPaths } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { EXIT } from './exit-codes.js';
import { type Style, colorEnabled, createStyle } from './style.js';

export interface HistoryCommandOptions {
  /** Only this image's actions (by the name it had or any tag that moved). */
  readonly image: string | null;
  readonly json: boolean;
}

const Change = z.object({ name: z.string(), from: z.string(), to: z.string() });
/** What a rebase records of its package changes (act/rebase/apply-rebase.ts); older lines have only the summary. */
const PackageChangesSchema = z.object({
  upgraded: z.array(Change),
  downgraded: z.array(Change),
  added: z.array(z.string()),
  removed: z.array(z.string()),
});
type PackageChanges = z.infer<typeof PackageChangesSchema>;
const BaseSchema = z.object({ ref: z.string(), digest: z.string().nullable().optional() });

function packageChangesOf(move: TagMove): PackageChanges | null {
  const parsed = PackageChangesSchema.safeParse(move.details['packageChanges']);
  return parsed.success ? parsed.data : null;
}

function baseText(value: unknown): string | null {
  const parsed = BaseSchema.safeParse(value);
  if (!parsed.success) return null;
  return parsed.data.digest ? `${parsed.data.ref}@${parsed.data.digest.slice(0, 19)}` : parsed.data.ref;
}

function renderMove(move: TagMove, now: Date, style: Style): string[] {
  const out = [`${style.bold(`${move.kind} ${move.image}`)}  ${describeWhen(move.at, now)}`];
  out.push(`  ${move.fromId.slice(0, 19)} → ${move.toId.slice(0, 19)}; tags ${move.tags.join(', ')}`);
  const oldBase = baseText(move.details['oldBase']);
  const newBase = baseText(move.details['newBase']);
  if (oldBase !== null && newBase !== null) out.push(`  base ${oldBase} → ${newBase}`);
  else if (newBase !== null) out.push(`  base ${newBase}`);
  if (typeof move.details['dockerfile'] === 'string') out.push(`  built from ${move.details['dockerfile']}`);
  const changes = packageChangesOf(move);
  if (changes !== null) {
    const changed = [...changes.upgraded, ...changes.downgraded];
    if (changed.length === 0 && changes.added.length === 0 && changes.removed.length === 0) out.push('  packages: no change');
    else out.push('  packages:');
    for (const change of changes.upgraded) out.push(`    ${change.name} ${change.from} → ${change.to}`);
    for (const change of changes.downgraded) out.push(`    ${change.name} ${change.from} → ${change.to} ${style.yellow('(downgraded)')}`);
    if (changes.added.length > 0) out.push(`    added: ${changes.added.join(', ')}`);
    if (changes.removed.length > 0) out.push(`    removed: ${changes.removed.join(', ')}`);
  } else if (typeof move.details['packages'] === 'string') {
    out.push(`  packages: ${move.details['packages']}`);
  }
  if (move.keepTag !== null) out.push(style.dim(`  previous image kept as ${move.keepTag}`));
  return out;
}

export async function runHistoryCommand(options: HistoryCommandOptions, io: CliIo, now: Date = new Date()): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const stateDir = cliPaths(io).state;
  const all = await readHistory(stateDir);
  const { image } = options;
  const moves = image === null ? all : all.filter((move) => move.image === image || move.tags.includes(image));
  if (image !== null && moves.length === 0) {
    const known = new Set(all.flatMap((move) => [move.image, ...move.tags]));
    const errStyle = createStyle(colorEnabled(io.stderr, io.env));
    io.stderr.write(errStyle.red(`basewatch history: ${image}: basewatch has not rebased, rebuilt or rolled it back${didYouMean(image, known)}\n`));
    return EXIT.partial;
  }
  if (options.json) {
    const actions = moves.map((move) => ({ ...move, packageChanges: packageChangesOf(move) }));
    io.stdout.write(`${JSON.stringify({ historyFile: path.join(stateDir, HISTORY_FILE), actions }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (moves.length === 0) {
    io.stdout.write('No actions yet: basewatch has not rebased, rebuilt or rolled back any image.\n');
    return EXIT.ok;
  }
  io.stdout.write(`${moves.flatMap((move, index) => [...(index > 0 ? [''] : []), ...renderMove(move, now, style)]).join('\n')}\n`);
  return EXIT.ok;
}
