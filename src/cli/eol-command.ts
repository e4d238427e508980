/**
 * `basewatch eol update`: refresh the end-of-life table from endoflife.date into the cache.
 * `basewatch eol [image...]`: say which table is in use and what it says about the images.
 */
import { basewatchPaths } from '../config/paths.js';
import { eolFindings } from '../resolve/eol/eol-for.js';
import { loadEolTable } from '../resolve/eol/eol-table.js';
import { type FetchLike, refreshEolTable, saveEolTable } from '../resolve/eol/refresh-eol.js';
import path from 'node:path';
import { familiarImageRef, parseImageRef } from '../refs/image-ref.js';
import { STATE_FILE_NAME, peekState } from '../record/state-store.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';
import { colorEnabled, createStyle } from './style.js';

export type EolCommandOptions =
  | { readonly action: 'update'; readonly json: boolean }
  | { readonly action: 'show'; readonly images: readonly string[]; readonly json: boolean };

export interface EolCommandDeps {
  readonly fetch?: FetchLike;
  readonly now?: Date;
}

export async function runEolCommand(options: EolCommandOptions, io: CliIo, deps: EolCommandDeps = {}): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  const now = deps.now ?? new Date();
  const cacheDir = basewatchPaths(io.env as NodeJS.ProcessEnv).cache;
  const loaded = await loadEolTable({ cacheDir });
  if (loaded.warning !== null) io.stderr.write(errStyle.yellow(`basewatch: warning: ${loaded.warning}\n`));

  if (options.action === 'update') {
    const result = await refreshEolTable(loaded.table, { now, ...(deps.fetch !== undefined ? { fetch: deps.fetch } : {}) });
    if (!result.ok) {
      if (options.json) io.stdout.write(`${JSON.stringify({ updated: false, message: result.message, asOf: loaded.table.asOf, source: loaded.source }, null, 2)}\n`);
      io.stderr.write(errStyle.red(`basewatch: ${result.message}\n`));
      return EXIT.upstreamFailed;
    }
    const file = await saveEolTable(cacheDir, result.table);
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ updated: true, file, asOf: result.table.asOf, refreshed: result.refreshed, warnings: result.warnings }, null, 2)}\n`);
    } else {
      io.stdout.write(`${style.green('Updated')} the end-of-life table (${result.refreshed.join(', ')}) → ${file}\n`);
      for (const warning of result.warnings) io.stdout.write(style.yellow(`  ${warning}\n`));
    }
    return EXIT.ok;
  }

  // No names: the bases in use, as the last check saw them (images' bases and Dockerfiles' FROMs).
  let images = options.images;
  if (images.length === 0) {
    const state = await peekState(path.join(basewatchPaths(io.env as NodeJS.ProcessEnv).state, STATE_FILE_NAME)).catch(() => null);
    const report = state?.lastCheck?.report ?? null;
    if (report === null) {
      io.stderr.write(errStyle.yellow('basewatch eol show: no check is recorded yet, so no bases are known: run basewatch check, or name images (basewatch eol show python:3.12)\n'));
      if (options.json) io.stdout.write(`${JSON.stringify({ asOf: loaded.table.asOf, source: loaded.source, from: 'last check', images: [] }, null, 2)}\n`);
      return EXIT.ok;
    }
    const refs = [...report.images.flatMap((image) => (image.base === null ? [] : [image.base.ref])), ...report.dockerfiles.flatMap((file) => file.bases.map((base) => base.ref))];
    images = [...new Set(refs.filter((ref) => !/^sha256:/.test(ref)).map((ref) => {
      const parsed = parseImageRef(ref.replace(/@sha256:[0-9a-f]+$/, ''));
      return parsed.ok ? familiarImageRef(parsed.ref) : ref;
    }))].sort();
  }
  const findings: Array<{ image: string; findings: ReturnType<typeof eolFindings> }> = [];
  for (const image of images) {
    const parsed = parseImageRef(image);
    if (!parsed.ok) {
      io.stderr.write(errStyle.red(`basewatch: ${parsed.error}\n`));
      return EXIT.usage;
    }
    findings.push({ image, findings: eolFindings(parsed.ref, now, loaded.table) });
  }
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ asOf: loaded.table.asOf, source: loaded.source, from: options.images.length === 0 ? 'last check' : 'arguments', images: findings }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(`End-of-life table as of ${loaded.table.asOf} (${loaded.source}); products: ${Object.keys(loaded.table.products).join(', ')}\n`);
  if (options.images.length === 0) io.stdout.write(style.dim(`The ${images.length} base${images.length === 1 ? '' : 's'} in use at the last check:\n`));
  for (const { image, findings: list } of findings) {
    if (list.length === 0) io.stdout.write(`${image}: not in the table\n`);
    for (const finding of list) {
      const text = `${image}: ${finding.message}`;
      io.stdout.write(`${finding.status === 'past' ? style.red(text) : finding.status === 'soon' ? style.yellow(text) : text}\n`);
    }
  }
  return EXIT.ok;
}
