/** `basewatch pin <Dockerfile|root>...`: pin external images to their tags' current digests. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadSettings } from '../config/settings-file.js';
import { findProjectFiles } from '../inventory/find-project-files.js';
import { basewatchPaths } from '../config/paths.js';
import type { PinResolver } from '../act/pin/pin-dockerfile.js';
import { type FilePinResult, pinRecordOf, registryPinResolver, updatePins } from '../act/pin/update-pins.js';
import { appendPinRecord } from '../act/tag-moves/history.js';
import { EXIT } from './exit-codes.js';
import { openRegistryParts } from '../pipeline/cycle-parts.js';
import type { CliIo } from './cli-io.js';
import { type Style, colorEnabled, createStyle } from './style.js';

export interface PinCommandOptions {
  /** Dockerfiles (any name) and folders to scan; default the current folder. */
  readonly targets: readonly string[];
  /** Say what would change; write nothing. */
  readonly dryRun: boolean;
  readonly json: boolean;
}

export interface PinCommandDeps {
  /** Digest lookups; default: the registries, with the settings' TLS options and Docker credentials. */
  readonly resolve?: PinResolver;
}

/** Named files are taken as Dockerfiles whatever their name; folders are scanned like `check` does. */
async function dockerfilesOf(targets: readonly string[]): Promise<{ files: string[]; errors: Array<{ where: string; message: string }> }> {
  const files = new Set<string>();
  const errors: Array<{ where: string; message: string }> = [];
  const folders: string[] = [];
  for (const target of targets) {
    try {
      if ((await fs.stat(target)).isDirectory()) folders.push(target);
      else files.add(target);
    } catch {
      errors.push({ where: target, message: 'no such file or folder' });
    }
  }
  if (folders.length > 0) {
    const found = await findProjectFiles(folders);
    for (const file of found.dockerfiles) files.add(file);
    errors.push(...found.errors);
  }
  return { files: [...files].sort(), errors };
}

export function renderPins(results: readonly FilePinResult[], errors: ReadonlyArray<{ where: string; message: string }>, dryRun: boolean, style: Style): string {
  const out: string[] = [];
  for (const result of results) {
    if (result.changes.length === 0 && result.problems.length === 0 && result.skipped.length === 0) continue;
    const verb = dryRun ? 'would pin' : 'pinned';
    out.push(style.bold(`${result.file}`) + (result.changes.length > 0 ? `: ${verb} ${result.changes.length}` : ''));
    for (const change of result.changes) out.push(`  line ${change.line}: ${change.from} → ${style.green(change.to)}`);
    for (const problem of result.problems) out.push(style.yellow(`  ${problem.line > 0 ? `line ${problem.line}: ` : ''}${problem.message}`));
    for (const skipped of result.skipped) out.push(`  line ${skipped.line}: ${skipped.message}`);
  }
  for (const error of errors) out.push(style.yellow(`${error.where}: ${error.message}`));
  const changed = results.filter((result) => result.changes.length > 0).length;
  if (results.length === 0) out.push('No Dockerfile found.');
  else if (changed === 0) out.push(`All ${results.length} Dockerfile${results.length === 1 ? '' : 's'} already pinned to the current digests (or nothing to pin).`);
  else if (dryRun) out.push(`Dry run: ${changed} Dockerfile${changed === 1 ? '' : 's'} would change; nothing was written.`);
  return `${out.join('\n')}\n`;
}

/** Exit code: 4 when a file or image could not be handled, 5 when only registry lookups failed. */
export function pinExitCode(results: readonly FilePinResult[], errors: readonly unknown[]): number {
  const problems = results.flatMap((result) => result.problems);
  if (errors.length > 0 || problems.some((problem) => problem.kind !== 'lookup')) return EXIT.partial;
  if (problems.length > 0) return EXIT.upstreamFailed;
  return EXIT.ok;
}

export async function runPinCommand(options: PinCommandOptions, io: CliIo, deps: PinCommandDeps = {}): Promise<number> {
  const style = createStyle(colorEnabled(io.stdout, io.env));
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  let resolve = deps.resolve;
  let close: () => Promise<void> = async () => {};
  if (resolve === undefined) {
    let settings;
    try {
      settings = loadSettings(basewatchPaths(io.env as NodeJS.ProcessEnv).config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.stderr.write(errStyle.red(`basewatch: ${error.message}\n`));
      return EXIT.usage;
    }
    const client = openRegistryParts(settings, io.env).registry;
    resolve = registryPinResolver(client);
    close = () => client.close();
  }
  try {
    const targets = (options.targets.length > 0 ? options.targets : ['.']).map((target) => path.resolve(io.cwd, target));
    const { files, errors } = await dockerfilesOf(targets);
    const results: FilePinResult[] = [];
    // One file at a time: the registry client already runs lookups concurrently within a file.
    const stateDir = basewatchPaths(io.env as NodeJS.ProcessEnv).state;
    for (const file of files) {
      const result = await updatePins(file, resolve, { dryRun: options.dryRun });
      results.push(result);
      // `basewatch history` lists the pins written, as it lists rebases and rebuilds.
      const record = pinRecordOf(result, new Date());
      if (record !== null) await appendPinRecord(stateDir, record);
    }
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ dryRun: options.dryRun, files: results, errors }, null, 2)}\n`);
    } else {
      io.stdout.write(renderPins(results, errors, options.dryRun, style));
    }
    return pinExitCode(results, errors);
  } finally {
    await close();
  }
}
