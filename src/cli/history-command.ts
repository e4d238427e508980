/**
 * `basewatch history [IMAGE]`: every rebase, rebuild, rollback and pin basewatch made, oldest
 * first, from the history file. About one image (or with --full) each action lists its whole
 * package change; the list of all actions gives each one's summary line.
 */
import path from 'node:path';
import { z } from 'zod';
import { HISTORY_FILE, type HistoryEntry, type PinRecord, type TagMove, readHistoryEntries } from '../act/tag-moves/history.js';
import { normalizeImageRef } from '../refs/image-ref.js';
import { didYouMean } from '../refs/closest-names.js';
import { describeWhen } from '../report/when.js';
import { cliPaths } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { EXIT } from './exit-codes.js';
import { type Style, colorEnabled, createStyle } from './style.js';

export interface HistoryCommandOptions {
  /** Only this image's actions (by the name it had or any tag that moved; a pin by its image or Dockerfile). */
  readonly image: string | null;
  readonly json: boolean;
  /** Every package change of every action, also with no image named. Default false. */
  readonly full?: boolean;
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

function renderPin(record: PinRecord, now: Date, style: Style): string[] {
  const out = [`${style.bold(`pin ${record.file}`)}  ${describeWhen(record.at, now)}`];
  for (const change of record.changes) {
    const from = change.previous === null ? 'unpinned' : change.previous.slice(0, 19);
    out.push(`  line ${change.line}: ${change.image}`);
    out.push(`    ${from} → ${change.to.replace(/^.*@/, '').slice(0, 19)}`);
  }
  return out;
}

function renderMove(move: TagMove, now: Date, style: Style, full: boolean): string[] {
  const out = [`${style.bold(`${move.kind} ${move.image}`)}  ${describeWhen(move.at, now)}`];
  out.push(`  ${move.fromId.slice(0, 19)} → ${move.toId.slice(0, 19)}; tags ${move.tags.join(', ')}`);
  const oldBase = baseText(move.details['oldBase']);
  const newBase = baseText(move.details['newBase']);
  if (oldBase !== null && newBase !== null) out.push(`  base ${oldBase} → ${newBase}`);
  else if (newBase !== null) out.push(`  base ${newBase}`);
  if (typeof move.details['dockerfile'] === 'string') out.push(`  built from ${move.details['dockerfile']}`);
  const changes = packageChangesOf(move);
  if (changes !== null && !full) {
    // The list of every action: one line each (`history IMAGE` or --full lists every change).
    const summary = typeof move.details['packages'] === 'string' ? move.details['packages'] : null;
    const count = changes.upgraded.length + changes.downgraded.length + changes.added.length + changes.removed.length;
    out.push(`  packages: ${count === 0 ? 'no change' : `${summary ?? `${count} change(s)`}`}`);
  } else if (changes !== null) {
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

/** Whether an entry is about `name`: an image by a name it had, a pin by its image or its Dockerfile. */
function concerns(entry: HistoryEntry, name: string, cwd: string): boolean {
  if (entry.kind !== 'pin') return entry.image === name || entry.tags.includes(name);
  const normalised = normalizeImageRef(name);
  return entry.file === path.resolve(cwd, name) || entry.changes.some((change) => change.image === name || (normalised !== null && normalizeImageRef(change.image) === normalised));
}

export async function runHistoryCommand(options: HistoryCommandOptions, io: CliIo, now: Date = new Date()): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const stateDir = cliPaths(io).state;
  const all = await readHistoryEntries(stateDir);
  const { image } = options;
  const moves = image === null ? all : all.filter((entry) => concerns(entry, image, io.cwd));
  if (image !== null && moves.length === 0) {
    const known = new Set(all.flatMap((entry) => (entry.kind === 'pin' ? entry.changes.map((change) => change.image) : [entry.image, ...entry.tags])));
    const errStyle = createStyle(colorEnabled(io.stderr, io.env));
    io.stderr.write(errStyle.red(`basewatch history: ${image}: basewatch has not rebased, rebuilt, rolled back or pinned it${didYouMean(image, known)}\n`));
    return EXIT.partial;
  }
  if (options.json) {
    const actions = moves.map((entry) => (entry.kind === 'pin' ? entry : { ...entry, packageChanges: packageChangesOf(entry) }));
    io.stdout.write(`${JSON.stringify({ historyFile: path.join(stateDir, HISTORY_FILE), actions }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (moves.length === 0) {
    io.stdout.write('No actions yet: basewatch has not rebased, rebuilt, rolled back or pinned anything.\n');
    return EXIT.ok;
  }
  const full = image !== null || options.full === true;
  const render = (entry: HistoryEntry): string[] => (entry.kind === 'pin' ? renderPin(entry, now, style) : renderMove(entry, now, style, full));
  io.stdout.write(`${moves.flatMap((entry, index) => [...(index > 0 ? [''] : []), ...render(entry)]).join('\n')}\n`);
  return EXIT.ok;
}
