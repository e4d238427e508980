/**
 * The command line. The only layer that prints or decides exit codes (changesets style): commands
 * are plain functions that return an exit code; errors from below become messages here.
 */
import { readFileSync } from 'node:fs';
import { EXIT } from './exit-codes.js';
import { colorEnabled, createStyle } from './style.js';
import type { CliIo } from './cli-io.js';
import { basewatchPaths } from '../config/paths.js';
import { checkOwnFolders } from '../util/private-path.js';
import { takeSetAsideNotices } from '../util/read-bounded-file.js';

// Each command's module is imported when that command runs, so `status` or `config` do not load
// the engine, registry and rebase code, and the daemon holds only what its cycles use.

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }): Promise<number> {
  const status = plainStatus(argv);
  if (status !== null) {
    try {
      await beforeAnyCommand(io);
      return await (await import('./status-command.js')).runStatusCommand(status, io);
    } catch (error) {
      return failureExit(error, io);
    } finally {
      warnSetAside(io);
    }
  }
  const { Argument, Command, CommanderError, Option } = await import('commander');
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  let exitCode: number = EXIT.ok;
  const program = new Command('basewatch')
    .description('Keeps the base images under your locally built Docker images patched.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(errStyle.red(text)),
    })
    .showSuggestionAfterError()
    // basewatch's own folders are the user's, or nothing runs: another user's state, settings or
    // control socket must not be read, written or answered.
    // Then the temp folders of runs that died go, whatever the command.
    .hook('preAction', () => beforeAnyCommand(io))
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 outdated (check --exit-code), 2 usage, 3 no engine, 4 some inputs unreadable or a name (image, folder) matches nothing, 5 some upstream checks failed, 6 not rebaseable / nothing to roll back, 7 failed, or another basewatch held a lock too long (nothing changed), 8 a basewatch folder, file or socket belongs to another user or others may write to it, 70 bug.\nSet BASEWATCH_HOME=<dir> to keep all of basewatch\'s files in one folder; NO_COLOR=1 turns colour off.',
    );

  program
    .command('check [images...]')
    .description('Find Dockerfiles, compose files and local images, link each image to its base, and ask the registries whether the base moved. Name images to check only those.')
    .option('--offline', 'do not ask any registry; report what is known locally')
    .option('--json', 'print one JSON object (see README) instead of a table')
    .option('--exit-code', 'exit 1 when anything is outdated')
    .option('--now', 'when a daemon runs, have it check now (with its roots) instead of racing it')
    .option('--all', 'list everything: current images, base images, images with no known base, every file, and what ignore leaves out')
    .option('--no-daemon', 'with --now: check here, even when a daemon runs')
    .addOption(new Option('--root <dir>', 'folder to scan (repeatable; default: current folder)').argParser(collect).default([], 'current folder'))
    .action(async (images: string[], options: { offline?: boolean; json?: boolean; exitCode?: boolean; now?: boolean; all?: boolean; daemon?: boolean; root: string[] }) => {
      exitCode = await (await import('./check-command.js')).runCheckCommand(
        {
          now: options.now === true && options.daemon !== false,
          all: options.all === true,
          offline: options.offline === true,
          json: options.json === true,
          exitCode: options.exitCode === true,
          roots: options.root,
          images,
        },
        io,
      );
    });

  program
    .command('status')
    .description('Show what the last check found, without asking any registry.')
    .option('--json', 'print one JSON object: { stateFile, lastCheck, report, registries }')
    .option('--all', 'list everything the last check saw (and what ignore left out), not only what needs attention')
    .action(async (options: { json?: boolean; all?: boolean }) => {
      exitCode = await (await import('./status-command.js')).runStatusCommand({ json: options.json === true, all: options.all === true }, io);
    });

  program
    .command('history [image]')
    .description('Show the rebases, rebuilds, rollbacks and pins basewatch made, oldest first; about one image (or with --full) with every package change.')
    .option('--full', 'list every package change of every action (default: with an image named)')
    .option('--json', 'print one JSON object: { historyFile, actions }, every package change included')
    .action(async (image: string | undefined, options: { json?: boolean; full?: boolean }) => {
      exitCode = await (await import('./history-command.js')).runHistoryCommand({ image: image ?? null, json: options.json === true, full: options.full === true }, io);
    });

  program
    .command('rebase <image>')
    .description('Move an image onto the latest digest of its base (or --to) without rebuilding, when that is safe.')
    .option('--to <ref>', 'the new base, ref[:tag][@digest] (default: the latest digest of the base\'s tag)')
    .option('--dry-run', 'say what would happen; change nothing (no pull, no load, no tag moved)')
    .option('--force', 'rebase although the seam check refuses (app layers touch base files), with a warning')
    .option('--json', 'print the outcome as one JSON object')
    .addOption(new Option('--root <dir>', 'folder whose compose files and Dockerfiles say how images are built, as for check (repeatable; default: the roots setting, else the current folder)').argParser(collect).default([], 'roots setting'))
    .action(async (image: string, options: { to?: string; dryRun?: boolean; force?: boolean; json?: boolean; root: string[] }) => {
      exitCode = await (await import('./rebase-command.js')).runRebaseCommand(
        { image, to: options.to ?? null, dryRun: options.dryRun === true, force: options.force === true, json: options.json === true, roots: options.root },
        io,
      );
    });

  program
    .command('update [images...]')
    .description('One cycle: check, then rebase, rebuild or report each outdated image as its policy says. Name images to update only those.')
    .option('--dry-run', 'show the plan exactly as it would run; change nothing')
    .option('--json', 'print the cycle (report, plan, actions) as one JSON object')
    .option('--no-daemon', 'run the cycle in this process, even when a daemon runs (e.g. against this shell\'s DOCKER_HOST)')
    .addOption(new Option('--root <dir>', 'folder to scan (repeatable; default: the roots setting, else the current folder)').argParser(collect).default([], 'roots setting'))
    .action(async (images: string[], options: { dryRun?: boolean; json?: boolean; daemon?: boolean; root: string[] }) => {
      exitCode = await (await import('./update-command.js')).runUpdateCommand({ images, roots: options.root, dryRun: options.dryRun === true, json: options.json === true, noDaemon: options.daemon === false }, io);
    });

  program
    .command('rebuild <target>')
    .description('Build an image again from its Dockerfile on freshly pulled bases (same build args and target), then move its tags. TARGET: an image, a Dockerfile, <compose file>#<service>, or a compose service name.')
    .option('--dry-run', 'say what would be pulled and built; change nothing')
    .option('--json', 'print the outcome as one JSON object')
    .addOption(new Option('--root <dir>', 'folder searched for compose files (repeatable; default: the roots setting and the current folder)').argParser(collect).default([], 'roots setting and current folder'))
    .action(async (target: string, options: { dryRun?: boolean; json?: boolean; root: string[] }) => {
      exitCode = await (await import('./rebuild-command.js')).runRebuildCommand({ target, roots: options.root, json: options.json === true, dryRun: options.dryRun === true }, io);
    });

  program
    .command('link <image> <dockerfile>')
    .description('Record how an image is built, for `basewatch rebuild` and `update` (checks that the Dockerfile exists and parses).')
    .option('--context <dir>', "build context folder (default: the Dockerfile's folder)")
    .option('--target <stage>', 'stage to build (default: the last one)')
    .addOption(new Option('--build-arg <key=value>', 'build argument (repeatable); KEY alone takes its value from the environment').argParser(collect).default([]))
    .option('--json', 'print the recorded link as one JSON object')
    .action(async (image: string, dockerfile: string, options: { context?: string; target?: string; buildArg: string[]; json?: boolean }) => {
      exitCode = await (await import('./rebuild-command.js')).runLinkCommand(
        { image, dockerfile, context: options.context ?? null, target: options.target ?? null, buildArgs: options.buildArg, json: options.json === true },
        io,
      );
    });

  program
    .command('unlink <image>')
    .description('Forget what `basewatch link` recorded for an image.')
    .option('--json', 'print the removed link as one JSON object')
    .action(async (image: string, options: { json?: boolean }) => {
      exitCode = await (await import('./rebuild-command.js')).runUnlinkCommand({ image, json: options.json === true }, io);
    });

  program
    .command('pin [targets...]')
    .description("Pin each external FROM / COPY --from image to its tag's current digest (image:tag@sha256:…), changing nothing else. Targets: Dockerfiles or folders (default: current folder).")
    .option('--dry-run', 'say what would change; write nothing')
    .option('--json', 'print { dryRun, files, errors }')
    .action(async (targets: string[], options: { dryRun?: boolean; json?: boolean }) => {
      exitCode = await (await import('./pin-command.js')).runPinCommand({ targets, dryRun: options.dryRun === true, json: options.json === true }, io);
    });

  const eol = program.command('eol').description('End-of-life dates of base images.');
  eol
    .command('show [images...]')
    .description('show the end-of-life status of images (default: the bases of the last check)')
    .option('--json', 'print the findings as JSON')
    .action(async (images: string[], options: { json?: boolean }) => {
      exitCode = await (await import('./eol-command.js')).runEolCommand({ action: 'show', images, json: options.json === true }, io);
    });
  eol
    .command('update')
    .description('refresh the table from https://endoflife.date/api/ into the cache folder')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      exitCode = await (await import('./eol-command.js')).runEolCommand({ action: 'update', json: options.json === true }, io);
    });

  program
    .command('rollback <image>')
    .description('Put the tags of an image back on the image the last basewatch rebase or rebuild replaced.')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (image: string, options: { json?: boolean }) => {
      exitCode = await (await import('./rebase-command.js')).runRollbackCommand({ image, json: options.json === true }, io);
    });

  program
    .command('prune [images...]')
    .description('Remove the basewatch-rollback:* images (kept for `basewatch rollback`) older than the keepRollbacks setting; name images to prune only their rollback images.')
    .option('--older-than <duration>', 'this age instead of the keepRollbacks setting (0 removes them all)')
    .option('--dry-run', 'say what would be removed; remove nothing')
    .option('--json', 'print { olderThan, dryRun, removed, wouldRemove, failed, kept }')
    .action(async (images: string[], options: { olderThan?: string; dryRun?: boolean; json?: boolean }) => {
      exitCode = await (await import('./prune-command.js')).runPruneCommand({ images, olderThan: options.olderThan ?? null, dryRun: options.dryRun === true, json: options.json === true }, io);
    });

  program
    .command('daemon')
    .description('Run in the foreground (what systemd/launchd start): watch the roots, follow engine events, check on the schedule, notify.')
    .option('--log-level <level>', 'debug, info, warn or error (default: $BASEWATCH_LOG_LEVEL or info)')
    .action(async (options: { logLevel?: string }) => {
      exitCode = await (await import('./daemon-command.js')).runDaemonCommand(options.logLevel ? { logLevel: options.logLevel } : {}, io);
    });

  program
    .command('doctor')
    .description('Check the engine, credential helpers, notifications, watch limit, daemon and service; each failing line says how to fix it.')
    .option('--json', 'print { ok, checks } as JSON')
    .action(async (options: { json?: boolean }) => {
      exitCode = await (await import('./doctor-command.js')).runDoctorCommand({ json: options.json === true }, io);
    });

  program
    .command('snooze [target] [duration]')
    .description('Silence notifications about an image or base (30m, 8h, 7d; 0 lifts it); with no arguments, list snoozes.')
    .option('--json', 'print the snooze (or, with no arguments, every snooze) as one JSON object')
    .action(async (target: string | undefined, duration: string | undefined, options: { json?: boolean }) => {
      exitCode = await (await import('./snooze-command.js')).runSnoozeCommand({ target: target ?? null, duration: duration ?? null, json: options.json === true }, io);
    });

  program
    .command('watch <dir>')
    .description("Add a folder to the daemon's roots.")
    .option('--json', 'print { dir, changed, roots, daemon } as one JSON object')
    .action(async (dir: string, options: { json?: boolean }) => {
      exitCode = await (await import('./watch-command.js')).runWatchCommand({ kind: 'watch', dir, json: options.json === true }, io);
    });

  program
    .command('unwatch <dir>')
    .description("Remove a folder from the daemon's roots.")
    .option('--json', 'print { dir, changed, roots, daemon } as one JSON object')
    .action(async (dir: string, options: { json?: boolean }) => {
      exitCode = await (await import('./watch-command.js')).runWatchCommand({ kind: 'unwatch', dir, json: options.json === true }, io);
    });

  program
    .command('service')
    .description('Install, remove or show the systemd user unit / launchd agent (enabled and started).')
    .addArgument(new Argument('<action>').choices(['install', 'uninstall', 'status']))
    .option('--dry-run', 'print the file and the commands instead')
    .addOption(new Option('--platform <platform>', 'render for linux or darwin (another platform implies --dry-run)').choices(['linux', 'darwin']))
    .option('--json', 'status: print { platform, file, installed, managerProblem, active, daemonPid, environment }')
    .action(async (action: 'install' | 'uninstall' | 'status', options: { dryRun?: boolean; platform?: string; json?: boolean }) => {
      exitCode = await (await import('./service-command.js')).runServiceCommand({ action, dryRun: options.dryRun === true, platform: options.platform ?? null, json: options.json === true }, io);
    });

  const config = program.command('config').description('Show or change settings (stored in `basewatch config path`).');
  config
    .command('path')
    .description('print where the settings file is')
    .action(async () => {
      exitCode = (await import('./config-command.js')).runConfigCommand({ kind: 'path' }, io);
    });
  config
    .command('list')
    .description('print every setting with its value and what it does')
    .option('--json', 'print the settings as one JSON object')
    .action(async (options: { json?: boolean }) => {
      exitCode = (await import('./config-command.js')).runConfigCommand({ kind: 'list', json: options.json === true }, io);
    });
  config
    .command('get <key>')
    .description('print one setting')
    .option('--json', 'print the value as JSON')
    .action(async (key: string, options: { json?: boolean }) => {
      exitCode = (await import('./config-command.js')).runConfigCommand({ kind: 'get', key, json: options.json === true }, io);
    });
  config
    .command('set <key> <value>')
    .description('change a setting (lists: comma-separated or a JSON array)')
    .action(async (key: string, value: string) => {
      exitCode = (await import('./config-command.js')).runConfigCommand({ kind: 'set', key, value }, io);
    });
  config
    .command('unset <key>')
    .description('put a setting back to its default')
    .action(async (key: string) => {
      exitCode = (await import('./config-command.js')).runConfigCommand({ kind: 'unset', key }, io);
    });

  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are successes.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return failureExit(error, io);
  } finally {
    warnSetAside(io);
  }
  return exitCode;
}

/** Own files a reader set aside without a warning of its own (history, notification memory, tag caches), said once. */
function warnSetAside(io: CliIo): void {
  const notices = takeSetAsideNotices();
  if (notices.length === 0) return;
  const style = createStyle(colorEnabled(io.stderr, io.env));
  for (const notice of notices) io.stderr.write(style.yellow(`basewatch: warning: ${notice}\n`));
}

/** A command's failure as a message and exit code. */
async function failureExit(error: unknown, io: CliIo): Promise<number> {
  const errStyle = createStyle(colorEnabled(io.stderr, io.env));
  // Loaded on this path only: the mapper knows every module's error classes.
  const known = (await import('./error-exit.js')).errorExit(error);
  if (known !== null) {
    io.stderr.write(errStyle.red(`basewatch: ${known.message}\n`));
    return known.code;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(errStyle.red(`basewatch: internal error (please report it): ${message}\n`));
  return EXIT.internal;
}

/**
 * What every command does first (the fast `status` path too): basewatch's own folders are the
 * user's, or nothing runs (another user's state, settings or control socket must not be read,
 * written or answered); then the temp folders of runs that died go.
 */
async function beforeAnyCommand(io: CliIo): Promise<void> {
  const paths = basewatchPaths(io.env as NodeJS.ProcessEnv);
  checkOwnFolders([paths.config, paths.state, paths.cache, paths.runtime, paths.logs]);
  const removed = await (await import('../act/tag-moves/dead-run-folders.js')).removeDeadRunTempFolders(paths.state);
  if (removed !== null) io.stderr.write(createStyle(colorEnabled(io.stderr, io.env)).yellow(`basewatch: warning: ${removed}\n`));
}

/**
 * `basewatch status` with nothing but its own flags: run without loading the argument parser,
 * so it starts about as fast as a bare `node` (project issue 14). Anything else goes to commander.
 */
function plainStatus(argv: readonly string[]): { json: boolean; all: boolean } | null {
  const [command, ...flags] = argv.slice(2);
  if (command !== 'status' || !flags.every((flag) => flag === '--json' || flag === '--all')) return null;
  return { json: flags.includes('--json'), all: flags.includes('--all') };
}
