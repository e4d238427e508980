// Child-process plumbing shared by the world provisioning code and the test helpers.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunOptions {
  /** Written to stdin, then stdin is closed. Default: stdin is closed at once. */
  input?: string | Uint8Array;
  cwd?: string;
  /** Full environment of the child. Default: this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Kill the child (SIGKILL) after this long and reject. Default 180 000 ms. */
  timeoutMs?: number;
}

export interface RunResult {
  /** Exit code, or null when the child died of a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output; rejects only when it cannot start or times out. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')} timed out after ${timeoutMs} ms\n${Buffer.concat(stderr).toString('utf8')}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
    // A child that exits without reading stdin makes the write fail with EPIPE: not our error.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? undefined);
  });
}

/** Like run(), but rejects (with stderr in the message) unless the command exits 0. Returns stdout. */
export async function runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const how = result.signal ? `signal ${result.signal}` : `exit ${result.code}`;
    const detail = (result.stderr.trim() || result.stdout.trim()).slice(-4000);
    throw new Error(`${command} ${args.join(' ')} failed (${how}):\n${detail}`);
  }
  return result.stdout;
}

/** Absolute path of an executable on PATH, also looking in the sbin folders a non-login PATH may lack. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Sends SIGTERM, waits up to graceMs, then SIGKILL. Resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, graceMs: number): Promise<'exited' | 'terminated' | 'killed'> {
  if (child.exitCode !== null || child.signalCode !== null) return 'exited';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const inTime = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
  ]);
  if (inTime) return 'terminated';
  child.kill('SIGKILL');
  await exited;
  return 'killed';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
