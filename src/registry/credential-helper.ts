/**
 * Runs a Docker credential helper the way the Docker CLI does: `docker-credential-<name> get`,
 * the server URL on stdin, `{ServerURL, Username, Secret}` on stdout. Nothing a helper prints
 * is copied into a problem text unless it is plainly an error line: a confused helper may
 * print the secret.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { z } from 'zod';

export interface HelperCredential {
  readonly username: string;
  readonly secret: string;
  readonly identityToken: boolean;
}

export type HelperResult =
  | { readonly kind: 'found'; readonly credential: HelperCredential }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'failed'; readonly problem: string };

export interface HelperOptions {
  /** Environment for PATH/HOME lookups and for the helper process. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default 10 000 ms. */
  readonly timeoutMs?: number;
  /**
   * Folders searched after PATH. launchd and systemd start us with a minimal PATH, so the
   * usual install places are searched too. Default: {@link defaultHelperDirs}.
   */
  readonly helperDirs?: readonly string[];
}

/** The Docker CLI's marker for "no credential stored" (docker-credential-helpers). */
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
/** Username a helper returns when Secret is an identity (refresh) token. */
const TOKEN_USERNAME = '<token>';
const MAX_OUTPUT_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

const HelperOutput = z.looseObject({
  ServerURL: z.string().optional(),
  Username: z.string().optional(),
  Secret: z.string(),
});

export function defaultHelperDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME ?? homedir();
  return ['/usr/local/bin', '/opt/homebrew/bin', '/usr/bin', join(home, '.docker', 'bin'), '/Applications/Docker.app/Contents/Resources/bin'];
}

/** Absolute path of `docker-credential-<name>`, or null. */
export async function findCredentialHelper(name: string, options: HelperOptions = {}): Promise<string | null> {
  const env = options.env ?? process.env;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((dir) => dir !== ''), ...(options.helperDirs ?? defaultHelperDirs(env))];
  const suffixes = process.platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  for (const dir of dirs) {
    for (const suffix of suffixes) {
      const candidate = join(dir, `docker-credential-${name}${suffix}`);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** First line of a helper's error output, when it is safe to show (no JSON, short). */
function errorLine(output: string): string | null {
  const line = output.trim().split('\n')[0]?.trim() ?? '';
  if (line === '' || line.includes('{') || /secret|password|token/i.test(line)) return null;
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

export async function runCredentialHelper(name: string, serverUrl: string, options: HelperOptions = {}): Promise<HelperResult> {
  const program = `docker-credential-${name}`;
  // A name from config.json becomes part of a path; do not let it climb out of the bin folder.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    return { kind: 'failed', problem: `credential helper name ${JSON.stringify(name)} is not valid` };
  }
  const path = await findCredentialHelper(name, options);
  if (path === null) {
    return { kind: 'failed', problem: `${program} not found on PATH or in the usual bin folders; install it or fix config.json` };
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return new Promise<HelperResult>((resolve) => {
    let settled = false;
    const finish = (result: HelperResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(path, ['get'], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_OUTPUT_BYTES) {
        child.kill('SIGKILL');
        finish({ kind: 'failed', problem: `${program} printed more than ${MAX_OUTPUT_BYTES} bytes` });
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ kind: 'failed', problem: `${program} get timed out after ${timeoutMs / 1000} s` });
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish({ kind: 'failed', problem: `${program} could not be started (${error.code ?? error.message})` });
    });
    // A helper that exits without reading stdin makes our write fail with EPIPE; its exit
    // status says what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(serverUrl);
    child.on('close', (code, signal) => {
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (code !== 0) {
        if (out.includes(NOT_FOUND_MESSAGE) || err.includes(NOT_FOUND_MESSAGE)) return finish({ kind: 'not-found' });
        const detail = errorLine(out) ?? errorLine(err);
        const status = signal !== null ? `signal ${signal}` : `exit ${code}`;
        return finish({ kind: 'failed', problem: `${program} get failed (${status})${detail !== null ? `: ${detail}` : ''}` });
      }
      let json: unknown;
      try {
        json = JSON.parse(out);
      } catch {
        return finish({ kind: 'failed', problem: `${program} get printed something that is not JSON` });
      }
      const parsed = HelperOutput.safeParse(json);
      if (!parsed.success) {
        return finish({ kind: 'failed', problem: `${program} get printed JSON without a string "Secret"` });
      }
      const { Username: username = '', Secret: secret } = parsed.data;
      if (secret === '') return finish({ kind: 'not-found' });
      if (username === TOKEN_USERNAME) {
        return finish({ kind: 'found', credential: { username: TOKEN_USERNAME, secret, identityToken: true } });
      }
      finish({ kind: 'found', credential: { username, secret, identityToken: false } });
    });
  });
}
