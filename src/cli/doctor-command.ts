/**
 * `basewatch doctor`: what works and what does not, each failing line with how to fix it:
 * settings, watched folders, engine, registry credential helpers, notifications, the OS watch
 * limit, the daemon and its service. Exit 0 when nothing fails (warnings allowed), 4 otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readBoundedFileSync } from '../util/read-bounded-file.js';
import { z } from 'zod';
import { DOCKER_CONFIG_FILE_NAME, DockerConfigFile, dockerConfigDir, parseDockerConfigFile } from '../config/docker-config-file.js';
import { ConfigError, configFilePath, loadSettings } from '../config/settings-file.js';
import type { Settings } from '../config/settings.js';
import { readDaemonStatus } from '../daemon/control-client.js';
import { connectEngine } from '../engine/connect.js';
import { checkDesktop } from '../notify/desktop.js';
import { webhookOrigin } from '../notify/webhook.js';
import { basewatchPaths } from '../config/paths.js';
import { findCredentialHelper } from '../registry/credential-helper.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './cli-io.js';

export type DoctorLevel = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  readonly name: string;
  readonly level: DoctorLevel;
  readonly detail: string;
  readonly fix: string | null;
}

const check = (name: string, level: DoctorLevel, detail: string, fix: string | null = null): DoctorCheck => ({ name, level, detail, fix });

function settingsChecks(configDir: string): { settings: Settings | null; checks: DoctorCheck[] } {
  try {
    const settings = loadSettings(configDir);
    return { settings, checks: [check('settings', 'ok', configFilePath(configDir))] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { settings: null, checks: [check('settings', 'fail', error.message, '`basewatch config set KEY VALUE` or edit the file')] };
  }
}

function rootChecks(settings: Settings | null): DoctorCheck[] {
  if (settings === null) return [];
  if (settings.roots.length === 0) return [check('watched folders', 'warn', 'none: the daemon only follows local images', '`basewatch watch DIR`')];
  return settings.roots.map((root) => {
    try {
      fs.accessSync(root, fs.constants.R_OK | fs.constants.X_OK);
      return check('watched folder', 'ok', root);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      return check('watched folder', 'fail', `${root}: ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`, `fix its permissions, or \`basewatch unwatch ${root}\``);
    }
  });
}

async function engineCheck(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  try {
    const engine = await connectEngine({ env });
    const info = await engine.info();
    // The image store decides how a rebase loads its result (the containerd store takes no placeholder layers).
    const store = info.product === 'podman' ? 'Podman storage' : info.containerdSnapshotter ? 'containerd image store' : 'classic image store';
    return check('engine', 'ok', `${engine.endpoint.host} (${engine.endpoint.source}), ${info.product === 'podman' ? 'Podman' : 'Docker'} ${info.serverVersion}, ${store}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return check('engine', 'fail', message.split('\n')[0] ?? message, 'start Docker (or set DOCKER_HOST / a docker context); services do not see your shell\'s DOCKER_HOST');
  }
}

/** The helpers, and `auths` only to count its entries (so their shape is not checked here). */
const DoctorDockerConfig = DockerConfigFile.pick({ credsStore: true, credHelpers: true }).extend({ auths: z.record(z.string(), z.unknown()).optional() });

async function credentialChecks(env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const file = path.join(dockerConfigDir(env), DOCKER_CONFIG_FILE_NAME);
  const bounded = readBoundedFileSync(file, 'settings');
  if (!bounded.ok) {
    if (bounded.problem === 'missing') return [check('credentials', 'ok', `no ${file}: registries are asked anonymously`)];
    return [check('credentials', 'fail', `${file} ${bounded.message}`, 'fix or move it aside')];
  }
  const text = bounded.text;
  const read = parseDockerConfigFile(text, DoctorDockerConfig);
  if (!read.ok && read.problem.kind === 'not-json') return [check('credentials', 'fail', `${file} cannot be read or is not JSON`, 'fix or move it aside')];
  if (!read.ok) return [check('credentials', 'fail', `${file} does not look like a Docker config file`, 'fix or move it aside')];
  const parsed = read.config;
  const helpers = new Map<string, string[]>();
  if (parsed.credsStore !== undefined) helpers.set(parsed.credsStore, ['every registry (credsStore)']);
  for (const [registry, helper] of Object.entries(parsed.credHelpers ?? {})) helpers.set(helper, [...(helpers.get(helper) ?? []), registry]);
  const checks: DoctorCheck[] = [];
  for (const [helper, registries] of helpers) {
    const found = await findCredentialHelper(helper, { env });
    checks.push(found === null
      ? check('credentials', 'fail', `docker-credential-${helper} (for ${registries.join(', ')}) is not on PATH or in the usual folders`, 'install it, or put its folder in the service\'s PATH')
      : check('credentials', 'ok', `docker-credential-${helper} for ${registries.join(', ')}: ${found}`));
  }
  const inline = Object.keys(parsed.auths ?? {}).length;
  if (checks.length === 0) checks.push(check('credentials', 'ok', `${inline} registr${inline === 1 ? 'y' : 'ies'} in ${file}`));
  return checks;
}

function notificationChecks(settings: Settings | null, env: NodeJS.ProcessEnv): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  if (settings !== null && !settings.notifications) checks.push(check('notifications', 'ok', 'desktop notifications are off (notifications=false)'));
  else {
    const desktop = checkDesktop(env);
    checks.push(desktop.ok ? check('notifications', 'ok', 'notify-send and a session bus are there') : check('notifications', 'warn', desktop.problem ?? '', 'notifications are best effort; `basewatch status` shows the same news'));
  }
  if (settings?.notifyWebhook != null) checks.push(check('webhook', 'ok', `POSTs to ${webhookOrigin(settings.notifyWebhook)}`));
  return checks;
}

function watchLimitCheck(): DoctorCheck | null {
  if (process.platform !== 'linux') return null;
  try {
    const limit = Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
    return limit < 65_536
      ? check('watch limit', 'warn', `fs.inotify.max_user_watches is ${limit}: one per watched folder`, '`sudo sysctl fs.inotify.max_user_watches=524288` (and in /etc/sysctl.d/ to keep it)')
      : check('watch limit', 'ok', `fs.inotify.max_user_watches is ${limit}`);
  } catch {
    return null;
  }
}

async function daemonChecks(env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const { serviceManagerFix, serviceState } = await import('./service-command.js');
  const state = await serviceState(env);
  const status = state.daemonPid === null ? null : await readDaemonStatus(basewatchPaths(env));
  const platform = state.platform;
  const installed = state.installed;
  const noManager = state.managerProblem;
  // The same words as `service status`: installed is not the same as able to run.
  const service = !installed
    ? check('service', 'warn', noManager === null ? 'not installed' : `not installed, and no user service manager here: ${noManager}`, noManager === null ? '`basewatch service install`' : serviceManagerFix(platform).join('; '))
    : noManager !== null
      ? check('service', 'fail', `${state.file} is installed, but nothing can start it: ${noManager}`, serviceManagerFix(platform).join('; '))
      : state.active !== null && state.active !== 'active' && state.active !== 'running'
        ? check('service', 'warn', `${state.file} is installed but ${state.active}`, platform === 'linux' ? 'systemctl --user start basewatch (journalctl --user -u basewatch says why it stopped)' : 'launchctl kickstart gui/$(id -u)/com.basewatch.daemon')
        : check('service', 'ok', `${state.file} (${state.active ?? 'state unknown'})`);
  return [
    status === null
      ? check('daemon', 'warn', 'not running', installed && noManager === null ? `start the service (${platform === 'linux' ? 'systemctl --user start basewatch' : 'launchctl kickstart gui/$(id -u)/com.basewatch.daemon'})` : '`basewatch service install`, or run `basewatch daemon`')
      : check('daemon', status.engine.state === 'connected' ? 'ok' : 'warn', `pid ${status.pid}, engine ${status.engine.state}${status.engine.problem === null ? '' : ` (${status.engine.problem})`}, log ${status.logFile}`),
    service,
  ];
}

export async function runDoctorChecks(env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const paths = basewatchPaths(env);
  const { settings, checks } = settingsChecks(paths.config);
  const limit = watchLimitCheck();
  return [
    ...checks,
    ...rootChecks(settings),
    await engineCheck(env),
    ...(await credentialChecks(env)),
    ...notificationChecks(settings, env),
    ...(limit === null ? [] : [limit]),
    ...(await daemonChecks(env)),
  ];
}

export async function runDoctorCommand(options: { json: boolean }, io: CliIo): Promise<number> {
  const checks = await runDoctorChecks(io.env as NodeJS.ProcessEnv);
  const failed = checks.some((item) => item.level === 'fail');
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ ok: !failed, checks }, null, 2)}\n`);
  } else {
    const width = Math.max(...checks.map((item) => item.name.length));
    for (const item of checks) {
      const mark = item.level === 'ok' ? 'ok  ' : item.level === 'warn' ? 'warn' : 'FAIL';
      io.stdout.write(`${mark}  ${item.name.padEnd(width)}  ${item.detail}\n`);
      if (item.fix !== null && item.level !== 'ok') io.stdout.write(`${' '.repeat(width + 8)}fix: ${item.fix}\n`);
    }
  }
  return failed ? EXIT.partial : EXIT.ok;
}
