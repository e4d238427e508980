/**
 * `basewatch service install|uninstall|status [--dry-run] [--platform linux|darwin] [--json]`: the
 * systemd user unit or launchd agent for this machine, enabled and started (or stopped and
 * removed). `--dry-run` prints the file and the commands instead; another platform implies it.
 *
 * A user service needs a user service manager to talk to: a systemd user instance reached over
 * `$XDG_RUNTIME_DIR/bus` (none for root in a container, a plain `su`, or a cron job), or the
 * launchd GUI domain of a logged-in user. That is checked before anything is written, and the
 * failure says how to get one, or how to run the daemon without one.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LAUNCHD_LABEL, SYSTEMD_UNIT_NAME, type ServicePlatform, defaultScriptPath, renderServiceFile, serviceEnvironment } from '../daemon/service-files.js';
import { readDaemonStatus } from '../daemon/control-client.js';
import { basewatchPaths } from '../config/paths.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';

export interface ServiceCommandOptions {
  readonly action: 'install' | 'uninstall' | 'status';
  readonly dryRun: boolean;
  readonly platform: string | null;
  readonly json?: boolean;
}

type Step = readonly [command: string, ...args: string[]];

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 501;
}

function steps(platform: ServicePlatform, action: ServiceCommandOptions['action'], file: string): { steps: Step[]; tolerate: Set<number> } {
  if (platform === 'linux') {
    if (action === 'install') return { steps: [['systemctl', '--user', 'daemon-reload'], ['systemctl', '--user', 'enable', '--now', SYSTEMD_UNIT_NAME]], tolerate: new Set() };
    if (action === 'uninstall') return { steps: [['systemctl', '--user', 'disable', '--now', SYSTEMD_UNIT_NAME], ['systemctl', '--user', 'daemon-reload']], tolerate: new Set([0]) };
    return { steps: [['systemctl', '--user', 'status', '--no-pager', SYSTEMD_UNIT_NAME]], tolerate: new Set([0]) };
  }
  const target = `gui/${uid()}`;
  // bootout first: bootstrap refuses a label that is already loaded.
  if (action === 'install') return { steps: [['launchctl', 'bootout', `${target}/${LAUNCHD_LABEL}`], ['launchctl', 'bootstrap', target, file]], tolerate: new Set([0]) };
  if (action === 'uninstall') return { steps: [['launchctl', 'bootout', `${target}/${LAUNCHD_LABEL}`]], tolerate: new Set([0]) };
  return { steps: [['launchctl', 'print', `${target}/${LAUNCHD_LABEL}`]], tolerate: new Set([0]) };
}

function firstLine(text: string | null | undefined): string {
  return (text ?? '').trim().split('\n')[0] ?? '';
}

/**
 * Why no user service manager can be reached from here, or null when one answers. Linux: the
 * user bus socket must exist and `systemctl --user` must answer on it; macOS: the user's GUI domain.
 */
export function serviceManagerProblem(platform: ServicePlatform, env: NodeJS.ProcessEnv): string | null {
  if (platform === 'linux') {
    const runtime = env.XDG_RUNTIME_DIR;
    if (runtime === undefined || runtime === '') return 'XDG_RUNTIME_DIR is not set, so there is no user bus to reach a systemd user manager on';
    const bus = path.join(runtime, 'bus');
    if (!fs.existsSync(bus)) return `there is no user bus at ${bus} (no systemd user manager runs for this user)`;
    const probe = spawnSync('systemctl', ['--user', 'show-environment'], { encoding: 'utf8', env, timeout: 10_000 });
    if (probe.error !== undefined) return `systemctl cannot be run (${probe.error.message})`;
    if (probe.status !== 0) return `systemctl --user does not answer: ${firstLine(probe.stderr) || `exit ${probe.status ?? '?'}`}`;
    return null;
  }
  const probe = spawnSync('launchctl', ['print', `gui/${uid()}`], { encoding: 'utf8', env, timeout: 10_000 });
  if (probe.error !== undefined) return `launchctl cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `there is no launchd GUI domain gui/${uid()} for this user (not logged in to the desktop): ${firstLine(probe.stderr) || `exit ${probe.status ?? '?'}`}`;
  return null;
}

/** What gets a user service manager, or runs the daemon without one. */
export function serviceManagerFix(platform: ServicePlatform): string[] {
  if (platform === 'linux') {
    return [
      'loginctl enable-linger "$USER" (as root: loginctl enable-linger <user>) starts your systemd user manager at boot; then log in again (so XDG_RUNTIME_DIR and the bus are set) and run basewatch service install',
      'or log in to a graphical or SSH session of your own (not su or sudo), where systemd starts the user manager, and run basewatch service install there',
      'or run basewatch daemon from your own autostart: a crontab line `@reboot basewatch daemon`, your desktop\'s autostart, or a supervisor you already use',
    ];
  }
  return [
    'log in to the desktop as this user and run basewatch service install from a terminal there (launchd agents live in the GUI session)',
    'or run basewatch daemon from your own autostart or supervisor',
  ];
}

export interface ServiceState {
  readonly platform: ServicePlatform;
  readonly file: string;
  readonly installed: boolean;
  /** null: a user service manager answers; else why none does. */
  readonly managerProblem: string | null;
  /** What the service manager says of the unit (active, inactive, failed…), or null when it cannot be asked. */
  readonly active: string | null;
  /** The running daemon (service or not), from its control socket. */
  readonly daemonPid: number | null;
  /** The environment the installed file passes to the daemon (BASEWATCH_HOME, DOCKER_HOST, …). */
  readonly environment: Readonly<Record<string, string>>;
}

function unitState(platform: ServicePlatform, env: NodeJS.ProcessEnv): string | null {
  if (platform === 'linux') {
    const result = spawnSync('systemctl', ['--user', 'is-active', SYSTEMD_UNIT_NAME], { encoding: 'utf8', env, timeout: 10_000 });
    return result.error !== undefined ? null : firstLine(result.stdout) || null;
  }
  const result = spawnSync('launchctl', ['print', `gui/${uid()}/${LAUNCHD_LABEL}`], { encoding: 'utf8', env, timeout: 10_000 });
  if (result.error !== undefined) return null;
  if (result.status !== 0) return 'not loaded';
  return /^\s*state = (\S+)/m.exec(result.stdout)?.[1] ?? 'loaded';
}

/** The variables an installed file passes on (Environment= lines, or the plist's EnvironmentVariables). */
function installedEnvironment(platform: ServicePlatform, content: string): Record<string, string> {
  const found: Record<string, string> = {};
  if (platform === 'linux') {
    for (const match of content.matchAll(/^Environment="?([A-Z_]+)=(.*?)"?$/gm)) if (match[1] !== 'PATH') found[match[1] ?? ''] = (match[2] ?? '').replace(/%%/g, '%');
  } else {
    const dict = /<key>EnvironmentVariables<\/key>\s*<dict>([\s\S]*?)<\/dict>/.exec(content)?.[1] ?? '';
    for (const match of dict.matchAll(/<key>([^<]+)<\/key>\s*<string>([^<]*)<\/string>/g)) if (match[1] !== 'PATH') found[match[1] ?? ''] = match[2] ?? '';
  }
  return found;
}

/** Where the service stands: what `service status` prints and `doctor` judges. */
export async function serviceState(env: NodeJS.ProcessEnv, platform: ServicePlatform = process.platform === 'darwin' ? 'darwin' : 'linux'): Promise<ServiceState> {
  const paths = basewatchPaths(env);
  const file = renderServiceFile({ platform, node: process.execPath, script: '/basewatch.js', home: env.HOME ?? os.homedir(), logs: paths.logs }).file;
  const content = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  const managerProblem = serviceManagerProblem(platform, env);
  const daemon = await readDaemonStatus(paths).catch(() => null);
  return {
    platform,
    file,
    installed: content !== null,
    managerProblem,
    active: managerProblem === null ? unitState(platform, env) : null,
    daemonPid: daemon?.pid ?? null,
    environment: content === null ? {} : installedEnvironment(platform, content),
  };
}

function describeState(state: ServiceState): string[] {
  const lines = [`service   ${state.installed ? `installed (${state.file})` : `not installed (would be ${state.file})`}`];
  if (state.managerProblem !== null) lines.push(`manager   not reachable: ${state.managerProblem}`);
  else lines.push(`manager   ${state.platform === 'linux' ? 'systemd user manager' : `launchd gui/${uid()}`} answers; the unit is ${state.active ?? 'unknown'}`);
  const vars = Object.entries(state.environment).map(([key, value]) => `${key}=${value}`);
  if (state.installed) lines.push(`env       ${vars.length === 0 ? 'PATH only' : vars.join(' ')}`);
  lines.push(`daemon    ${state.daemonPid === null ? 'not running' : `running (pid ${state.daemonPid})`}`);
  return lines;
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
  // The daemon must use the state and the engine this shell uses: a service does not inherit them.
  const environment = serviceEnvironment(env);
  const rendered = renderServiceFile({ platform, node: process.execPath, script: fs.realpathSync(defaultScriptPath()), home, logs, environment });
  const plan = steps(platform, options.action, rendered.file);

  if (options.action === 'status' && !dryRun) {
    const state = await serviceState(env, platform);
    io.stdout.write(options.json === true ? `${JSON.stringify(state, null, 2)}\n` : `${describeState(state).join('\n')}\n`);
    if (options.json !== true && state.installed && state.managerProblem !== null) {
      io.stdout.write(`The unit is installed but nothing can start it from here. Fix:\n${serviceManagerFix(platform).map((line) => `  - ${line}`).join('\n')}\n`);
    }
    return EXIT.ok;
  }

  if (dryRun) {
    if (options.action === 'install') io.stdout.write(`# would write ${rendered.file}:\n${rendered.content}\n`);
    if (options.action === 'uninstall') io.stdout.write(`# would remove ${rendered.file}\n`);
    for (const step of plan.steps) io.stdout.write(`# would run: ${step.join(' ')}\n`);
    return EXIT.ok;
  }

  const problem = serviceManagerProblem(platform, env);
  if (options.action === 'install' && problem !== null) {
    // Before writing anything: a unit nobody can start is worse than none (doctor would call it fine).
    io.stderr.write(
      `basewatch service install: no user service manager to install into: ${problem}; nothing was written.\nFix (one of):\n${serviceManagerFix(platform).map((line) => `  - ${line}`).join('\n')}\n`,
    );
    return EXIT.failed;
  }
  if (options.action === 'uninstall' && problem !== null) {
    // Nothing can be running from it where no manager runs: removing the file is all there is to do.
    const existed = fs.existsSync(rendered.file);
    fs.rmSync(rendered.file, { force: true });
    io.stdout.write(existed ? `Removed ${rendered.file} (no user service manager answers here, so there was nothing to stop: ${problem})\n` : `Not installed: ${rendered.file} does not exist.\n`);
    return EXIT.ok;
  }

  if (options.action === 'install') {
    fs.mkdirSync(path.dirname(rendered.file), { recursive: true });
    fs.mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
    fs.writeFileSync(rendered.file, rendered.content, { mode: 0o644 });
    io.stdout.write(`Wrote ${rendered.file}\n`);
    const passed = Object.keys(environment);
    if (passed.length > 0) io.stdout.write(`  with this shell's ${passed.join(', ')}\n`);
  }
  let failed = false;
  for (const [i, step] of plan.steps.entries()) {
    const [command, ...args] = step;
    const result = spawnSync(command, args, { encoding: 'utf8', env });
    if (result.error !== undefined || result.status !== 0) {
      const why = result.error !== undefined ? result.error.message : firstLine(result.stderr) || `exit ${result.status ?? '?'}`;
      if (plan.tolerate.has(i)) continue;
      io.stderr.write(`basewatch service: \`${step.join(' ')}\` failed: ${why}\n`);
      failed = true;
      break;
    }
    io.stdout.write(`Ran ${step.join(' ')}\n`);
  }
  if (options.action === 'uninstall') {
    fs.rmSync(rendered.file, { force: true });
    io.stdout.write(`Removed ${rendered.file}\n`);
  }
  if (options.action === 'install' && failed) {
    io.stderr.write(`The unit is written but not running; \`basewatch service status\` shows where it stands, \`basewatch service uninstall\` removes it.\n`);
  }
  if (options.action === 'install' && !failed && platform === 'linux') {
    io.stdout.write('To keep it running while you are logged out: loginctl enable-linger "$USER"\n');
  }
  return failed ? EXIT.failed : EXIT.ok;
}
