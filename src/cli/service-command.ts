/**
 * `basewatch service install|uninstall|status [--dry-run] [--platform linux|darwin]`: the systemd
 * user unit or launchd agent for this machine, enabled and started (or stopped and removed).
 * `--dry-run` prints the file and the commands instead; another platform implies it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LAUNCHD_LABEL, SYSTEMD_UNIT_NAME, type ServicePlatform, defaultScriptPath, renderServiceFile } from '../daemon/service-files.js';
import { basewatchPaths } from '../config/paths.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';

export interface ServiceCommandOptions {
  readonly action: 'install' | 'uninstall' | 'status';
  readonly dryRun: boolean;
  readonly platform: string | null;
}

type Step = readonly [command: string, ...args: string[]];

function steps(platform: ServicePlatform, action: ServiceCommandOptions['action'], file: string): { steps: Step[]; tolerate: Set<number> } {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 501;
  if (platform === 'linux') {
    if (action === 'install') return { steps: [['systemctl', '--user', 'daemon-reload'], ['systemctl', '--user', 'enable', '--now', SYSTEMD_UNIT_NAME]], tolerate: new Set() };
    if (action === 'uninstall') return { steps: [['systemctl', '--user', 'disable', '--now', SYSTEMD_UNIT_NAME], ['systemctl', '--user', 'daemon-reload']], tolerate: new Set([0]) };
    return { steps: [['systemctl', '--user', 'status', '--no-pager', SYSTEMD_UNIT_NAME]], tolerate: new Set([0]) };
  }
  const target = `gui/${uid}`;
  // bootout first: bootstrap refuses a label that is already loaded.
  if (action === 'install') return { steps: [['launchctl', 'bootout', `${target}/${LAUNCHD_LABEL}`], ['launchctl', 'bootstrap', target, file]], tolerate: new Set([0]) };
  if (action === 'uninstall') return { steps: [['launchctl', 'bootout', `${target}/${LAUNCHD_LABEL}`]], tolerate: new Set([0]) };
  return { steps: [['launchctl', 'print', `${target}/${LAUNCHD_LABEL}`]], tolerate: new Set([0]) };
}

export async function runServiceCommand(options: ServiceCommandOptions, io: CliIo): Promise<number> {
  const env = io.env as NodeJS.ProcessEnv;
  const here: ServicePlatform | null = process.platform === 'linux' ? 'linux' : process.platform === 'darwin' ? 'darwin' : null;
  const platform = (options.platform ?? here) as ServicePlatform | null;
  if (platform !== 'linux' && platform !== 'darwin') {
    io.stderr.write(`basewatch service: --platform: expected linux or darwin (got "${options.platform ?? process.platform}")\n`);
    return EXIT.usage;
  }
  const dryRun = options.dryRun || platform !== here;
  const paths = basewatchPaths(env);
  const home = env.HOME ?? os.homedir();
  // Rendering the other platform's file: its usual log folder, not this machine's.
  const logs = platform === here ? paths.logs : platform === 'darwin' ? path.join(home, 'Library', 'Logs', 'basewatch') : path.join(home, '.local', 'state', 'basewatch', 'logs');
  const rendered = renderServiceFile({ platform, node: process.execPath, script: fs.realpathSync(defaultScriptPath()), home, logs });
  const plan = steps(platform, options.action, rendered.file);

  if (dryRun) {
    if (options.action === 'install') io.stdout.write(`# would write ${rendered.file}:\n${rendered.content}\n`);
    if (options.action === 'uninstall') io.stdout.write(`# would remove ${rendered.file}\n`);
    for (const step of plan.steps) io.stdout.write(`# would run: ${step.join(' ')}\n`);
    return EXIT.ok;
  }

  if (options.action === 'install') {
    fs.mkdirSync(path.dirname(rendered.file), { recursive: true });
    fs.mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
    fs.writeFileSync(rendered.file, rendered.content, { mode: 0o644 });
    io.stdout.write(`Wrote ${rendered.file}\n`);
  }
  let failed = false;
  for (const [i, step] of plan.steps.entries()) {
    const [command, ...args] = step;
    const result = spawnSync(command, args, { encoding: 'utf8', env });
    if (options.action === 'status') io.stdout.write(result.stdout ?? '');
    if (result.error !== undefined || result.status !== 0) {
      const why = result.error !== undefined ? result.error.message : (result.stderr ?? '').trim().split('\n')[0] ?? `exit ${result.status ?? '?'}`;
      if (plan.tolerate.has(i)) continue;
      io.stderr.write(`basewatch service: \`${step.join(' ')}\` failed: ${why}\n`);
      failed = true;
      break;
    }
    if (options.action !== 'status') io.stdout.write(`Ran ${step.join(' ')}\n`);
  }
  if (options.action === 'uninstall') {
    fs.rmSync(rendered.file, { force: true });
    io.stdout.write(`Removed ${rendered.file}\n`);
  }
  if (options.action === 'install' && !failed && platform === 'linux') {
    io.stdout.write('To keep it running while you are logged out: loginctl enable-linger "$USER"\n');
  }
  if (options.action === 'status') return EXIT.ok;
  return failed ? EXIT.failed : EXIT.ok;
}
