/**
 * The CLI side of the control socket: `basewatch status`, `check --now`, `update`, `watch` ask a
 * running daemon instead of racing it. Every function answers null when no daemon runs (no
 * socket, or nobody listening on it): the caller then does the work itself.
 */
import http from 'node:http';
import type { BasewatchPaths } from '../config/paths.js';
import type { CycleResult } from '../record/cycle-result.js';
import { PrivatePathError, checkPrivatePath } from '../util/private-path.js';
import {
  CYCLE_STREAM_TYPE,
  type CycleRequestBody,
  CycleStreamLineSchema,
  type RequestPositionMessage,
  CycleResultSchema,
  type DaemonStatus,
  DaemonStatusSchema,
  asCycleResult,
  controlSocketPath,
} from './control-protocol.js';

export type DaemonRequest =
  | { readonly kind: 'status' }
  /** The result of the last finished cycle (null when none finished yet). */
  | { readonly kind: 'last-cycle' }
  /** Runs a cycle (or joins the one waiting) and answers with its result. */
  | ({ readonly kind: 'cycle' } & CycleRequestBody)
  /** Re-reads the settings (roots, schedule) now. */
  | { readonly kind: 'reload' };

export interface DaemonAnswers {
  status: DaemonStatus;
  'last-cycle': CycleResult | null;
  cycle: CycleResult;
  reload: { readonly reloaded: true };
}

/** The daemon answered, but not with what was asked: its message names why. */
export class DaemonRequestError extends Error {
  override readonly name = 'DaemonRequestError';
}

export interface AskOptions {
  /** Default: 5 s for status/reload, none for cycles (a rebuild can take minutes). */
  readonly timeoutMs?: number;
  /** Cycles: told where the request is while the daemon works (queued behind a cycle, running). */
  readonly onPosition?: (position: RequestPositionMessage) => void;
}

interface Raw {
  readonly status: number;
  readonly body: string;
  /** The body is the last line of a streamed answer: `{result}` or `{error, status}`. */
  readonly streamed?: true;
}

/** With `onLine`, asks for a streamed answer: each complete line of one is handed over as it comes. */
function request(socketPath: string, method: 'GET' | 'POST', route: string, body: unknown, timeoutMs: number | null, onLine?: (line: string) => void): Promise<Raw | null> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    if (onLine !== undefined) headers['accept'] = `${CYCLE_STREAM_TYPE}, application/json`;
    const req = http.request(
      { socketPath, method, path: route, headers },
      (res) => {
        const chunks: Buffer[] = [];
        const streamed = onLine !== undefined && (res.headers['content-type'] ?? '').startsWith(CYCLE_STREAM_TYPE);
        let partial = '';
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (!streamed) return;
          partial += chunk.toString('utf8');
          const lines = partial.split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim() !== '') onLine(line);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          // A streamed answer ends with its result (or error) line: that is the answer's body.
          const last = streamed ? (text.trimEnd().split('\n').at(-1) ?? '') : text;
          resolve({ status: res.statusCode ?? 0, body: last, ...(streamed ? { streamed: true } : {}) });
        });
      },
    );
    if (timeoutMs !== null) {
      req.setTimeout(timeoutMs, () => req.destroy(new DaemonRequestError(`the daemon did not answer ${method} ${route} within ${timeoutMs} ms`)));
    }
    req.on('error', (error: NodeJS.ErrnoException) => {
      // No socket file, or a socket nobody listens on (a daemon that died): no daemon.
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK') resolve(null);
      else reject(error);
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

function parseJson(raw: Raw, what: string): unknown {
  try {
    return JSON.parse(raw.body) as unknown;
  } catch {
    throw new DaemonRequestError(`the daemon answered ${what} with something that is not JSON (HTTP ${raw.status})`);
  }
}

function failure(raw: Raw, what: string): DaemonRequestError {
  let message = raw.body.trim();
  try {
    const parsed = JSON.parse(raw.body) as { error?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
  } catch {
    // keep the text
  }
  return new DaemonRequestError(`the daemon refused ${what} (HTTP ${raw.status}): ${message.slice(0, 300)}`);
}

/** Asks the daemon of these paths; null when none runs. */
export async function askDaemon<K extends DaemonRequest['kind']>(
  paths: Pick<BasewatchPaths, 'runtime'>,
  ask: Extract<DaemonRequest, { kind: K }>,
  options: AskOptions = {},
): Promise<DaemonAnswers[K] | null> {
  const socket = controlSocketPath(paths);
  // Never talk to a socket, or through a folder, that another user could have put there.
  await checkPrivatePath(paths.runtime, 'folder');
  await checkPrivatePath(socket, 'socket');
  const quick = options.timeoutMs ?? 5_000;
  const what = ask.kind;
  let raw: Raw | null;
  switch (ask.kind) {
    case 'status': {
      raw = await request(socket, 'GET', '/status', undefined, quick);
      if (raw === null) return null;
      if (raw.status !== 200) throw failure(raw, what);
      const parsed = DaemonStatusSchema.safeParse(parseJson(raw, what));
      if (!parsed.success) throw new DaemonRequestError(`the daemon's status did not parse (${parsed.error.issues[0]?.path.join('.') ?? ''}); is it an older basewatch?`);
      return parsed.data as DaemonAnswers[K];
    }
    case 'last-cycle': {
      raw = await request(socket, 'GET', '/cycle/last', undefined, quick);
      if (raw === null) return null;
      if (raw.status === 404) return null as DaemonAnswers[K];
      if (raw.status !== 200) throw failure(raw, what);
      return asCycleResult(CycleResultSchema.parse(parseJson(raw, what))) as DaemonAnswers[K];
    }
    case 'cycle': {
      const { kind: _kind, ...body } = ask as Extract<DaemonRequest, { kind: 'cycle' }>;
      const onPosition = options.onPosition;
      const onLine =
        onPosition === undefined
          ? undefined
          : (line: string) => {
              let value: unknown;
              try {
                value = JSON.parse(line);
              } catch {
                return;
              }
              const parsedLine = CycleStreamLineSchema.safeParse(value);
              if (parsedLine.success && 'position' in parsedLine.data) onPosition(parsedLine.data.position);
            };
      raw = await request(socket, 'POST', '/cycle', body, options.timeoutMs ?? null, onLine);
      if (raw === null) return null;
      if (raw.status !== 200) throw failure(raw, what);
      let answer = parseJson(raw, what);
      if (raw.streamed === true) {
        const end = CycleStreamLineSchema.safeParse(answer);
        if (!end.success || 'position' in end.data) throw new DaemonRequestError(`the daemon's answer to ${what} ended before its result`);
        if ('error' in end.data) throw failure({ status: end.data.status, body: JSON.stringify({ error: end.data.error }) }, what);
        answer = end.data.result;
      }
      const parsed = CycleResultSchema.safeParse(answer);
      if (!parsed.success) throw new DaemonRequestError(`the daemon's cycle result did not parse (${parsed.error.issues[0]?.path.join('.') ?? ''})`);
      return asCycleResult(parsed.data) as DaemonAnswers[K];
    }
    case 'reload': {
      raw = await request(socket, 'POST', '/reload', {}, quick);
      if (raw === null) return null;
      if (raw.status !== 200) throw failure(raw, what);
      return { reloaded: true } as DaemonAnswers[K];
    }
  }
  throw new DaemonRequestError(`unknown request ${String(what)}`);
}

/**
 * The running daemon's status for `basewatch status`, or null when none runs or it does not
 * answer in time (status then works from the state file alone).
 */
export async function readDaemonStatus(paths: Pick<BasewatchPaths, 'runtime'>, timeoutMs = 2_000): Promise<DaemonStatus | null> {
  try {
    return await askDaemon(paths, { kind: 'status' }, { timeoutMs });
  } catch (error) {
    // A socket another user could have put there is refused, never shown as "not running".
    if (error instanceof PrivatePathError) throw error;
    return null;
  }
}
