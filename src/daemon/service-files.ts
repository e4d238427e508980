/**
 * The systemd unit and launchd plist for this machine: the shipped templates (systemd/,
 * launchd/) with absolute paths filled in. Pure apart from reading the templates.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServicePlatform = 'linux' | 'darwin';

export const SYSTEMD_UNIT_NAME = 'basewatch.service';
export const LAUNCHD_LABEL = 'com.basewatch.daemon';

export interface ServiceInput {
  readonly platform: ServicePlatform;
  /** Absolute path of node (process.execPath). */
  readonly node: string;
  /** Absolute path of bin/basewatch.js. */
  readonly script: string;
  readonly home: string;
  /** Where launchd writes the daemon's stdout/stderr (the daemon keeps its own log too). */
  readonly logs: string;
  /**
   * Variables of the installing shell the service must see too (BASEWATCH_HOME, DOCKER_HOST, …):
   * a service does not inherit the shell's environment, and without them it would use other state
   * and another engine. Default none.
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/** The variables of a shell that decide basewatch's state and engine: what a service must be given. */
export const SERVICE_ENV_KEYS = ['BASEWATCH_HOME', 'DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'] as const;

/** Those of SERVICE_ENV_KEYS that are set (and not empty) in `env`. */
export function serviceEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of SERVICE_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

export interface ServiceFile {
  readonly platform: ServicePlatform;
  /** Where it is installed. */
  readonly file: string;
  readonly content: string;
}

const packageRoot = fileURLToPath(new URL('../../..', import.meta.url));

export function defaultScriptPath(): string {
  return path.join(packageRoot, 'bin', 'basewatch.js');
}

function template(platform: ServicePlatform): string {
  const file = platform === 'linux' ? path.join(packageRoot, 'systemd', SYSTEMD_UNIT_NAME) : path.join(packageRoot, 'launchd', `${LAUNCHD_LABEL}.plist`);
  return readFileSync(file, 'utf8');
}

/** PATH for the service: where node, docker and credential helpers are usually installed. */
export function servicePath(input: Pick<ServiceInput, 'platform' | 'node' | 'home'>): string {
  const dirs = [
    path.dirname(input.node),
    '/usr/local/bin',
    ...(input.platform === 'darwin' ? ['/opt/homebrew/bin'] : []),
    '/usr/bin',
    '/bin',
    '/usr/sbin',
    '/sbin',
    path.join(input.home, '.docker', 'bin'),
    ...(input.platform === 'darwin' ? ['/Applications/Docker.app/Contents/Resources/bin'] : [path.join(input.home, '.local', 'bin')]),
  ];
  return [...new Set(dirs)].join(':');
}

/** systemd splits ExecStart on spaces: quote a path that has any. */
function systemdWord(value: string): string {
  return /[\s"\\]/.test(value) ? `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : value;
}

function xmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderServiceFile(input: ServiceInput): ServiceFile {
  for (const [name, value] of [['node', input.node], ['script', input.script], ['logs', input.logs]] as const) {
    if (!path.isAbsolute(value)) throw new Error(`service file: ${name} must be an absolute path (got "${value}")`);
  }
  const searchPath = servicePath(input);
  const extra = Object.entries(input.environment ?? {});
  if (input.platform === 'linux') {
    // systemd expands % specifiers in Environment= values: a literal % is written %%.
    const lines = [`PATH=${searchPath}`, ...extra.map(([key, value]) => `${key}=${value.replace(/%/g, '%%')}`)].map((item) => `Environment=${systemdWord(item)}`);
    const content = template('linux')
      .replace('@NODE@ @SCRIPT@', `${systemdWord(input.node)} ${systemdWord(input.script)}`)
      .replace('Environment=PATH=@PATH@', lines.join('\n'));
    return { platform: 'linux', file: path.join(input.home, '.config', 'systemd', 'user', SYSTEMD_UNIT_NAME), content };
  }
  const content = template('darwin')
    .replace('<string>@NODE@</string>', `<string>${xmlText(input.node)}</string>`)
    .replace('<string>@SCRIPT@</string>', `<string>${xmlText(input.script)}</string>`)
    .replace(
      '<string>@PATH@</string>',
      [`<string>${xmlText(searchPath)}</string>`, ...extra.map(([key, value]) => `    <key>${xmlText(key)}</key>\n    <string>${xmlText(value)}</string>`)].join('\n'),
    )
    .replaceAll('<string>@LOGS@/', `<string>${xmlText(input.logs)}/`);
  return { platform: 'darwin', file: path.join(input.home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`), content };
}
