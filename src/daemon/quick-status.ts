/**
 * The daemon's status for `basewatch status`, read without the control protocol's schemas (zod
 * and the report's), so `status` stays about as quick as a bare `node` with the daemon up too.
 * The check is of what `status` shows; an answer of any other shape goes through the full client.
 */
import net from 'node:net';
import path from 'node:path';
import { checkPrivatePath } from '../util/private-path.js';
import type { DaemonStatus } from './control-protocol.js';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number';
const orNull = (check: (value: unknown) => boolean) => (value: unknown): boolean => value === null || check(value);
const isTrigger = (value: unknown): boolean => isObject(value) && isString(value['kind']) && (value['detail'] === undefined || isString(value['detail']));

/** Whether an answer is plainly a status `status` can show; else null is returned and the full client decides. */
export function quickDaemonStatus(value: unknown): DaemonStatus | null {
  if (!isObject(value)) return null;
  const { engine, schedule, watcher, cycles, notifications } = value;
  const ok =
    isNumber(value['pid']) && isString(value['version']) && isString(value['startedAt']) && isNumber(value['uptimeSeconds']) && isString(value['socket']) && isString(value['logFile']) &&
    isObject(engine) && isString(engine['state']) && orNull(isString)(engine['host']) && orNull(isString)(engine['source']) && isString(engine['since']) && orNull(isString)(engine['problem']) && orNull(isString)(engine['nextAttemptAt']) &&
    isObject(schedule) && isString(schedule['expression']) && orNull(isString)(schedule['nextRunAt']) && orNull(isString)(schedule['lastRunAt']) &&
    isObject(watcher) && isString(watcher['state']) && orNull(isString)(watcher['problem']) &&
    Array.isArray(watcher['roots']) && watcher['roots'].every((root) => isObject(root) && isString(root['root']) && isNumber(root['dockerfiles']) && isNumber(root['composeFiles']) && orNull(isString)(root['problem'])) &&
    isObject(cycles) && isNumber(cycles['pending']) && (cycles['waitingEvents'] === undefined || isNumber(cycles['waitingEvents'])) && isNumber(cycles['completed']) && orNull(isString)(cycles['lastError']) &&
    orNull((running) => isObject(running) && isTrigger(running['trigger']) && isString(running['startedAt']))(cycles['running']) &&
    orNull(
      (last) =>
        isObject(last) && isTrigger(last['trigger']) && isString(last['startedAt']) && isString(last['finishedAt']) && typeof last['dryRun'] === 'boolean' && isNumber(last['images']) && isNumber(last['outdated']) && isNumber(last['errors']) &&
        Array.isArray(last['actions']) && last['actions'].every((action) => isObject(action) && isString(action['kind']) && isString(action['target']) && isString(action['reason'])),
    )(cycles['last']) &&
    isObject(notifications) && isString(notifications['desktop']) && orNull(isString)(notifications['webhook']);
  return ok ? (value as unknown as DaemonStatus) : null;
}

/** The daemon's answer is a few kilobytes; anything much bigger is not plainly one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The body of a whole HTTP/1.x answer of 200 with a Content-Length, as the control server sends
 * it; null for anything else (then the full client asks again and says why).
 */
export function plainOkBody(answer: Buffer): string | null {
  const end = answer.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...headers] = answer.subarray(0, end).toString('latin1').split('\r\n');
  if (!/^HTTP\/1\.[01] 200 /.test(statusLine)) return null;
  const fields = new Map(headers.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const length = Number(fields.get('content-length'));
  if (fields.has('transfer-encoding') || !Number.isInteger(length)) return null;
  const body = answer.subarray(end + 4);
  return body.length === length ? body.toString('utf8') : null;
}

/**
 * GET /status on the control socket: the status, `'none'` when no daemon listens, or `'unsure'`
 * when the answer is not plainly one (then the full client asks again and says why). Spoken as
 * plain HTTP/1.0 over node:net: node:http costs `status` more to load than the answer takes.
 */
export async function askStatusQuickly(socketPath: string, timeoutMs: number): Promise<DaemonStatus | 'none' | 'unsure'> {
  // As the full client: a socket (or its folder) another user could have put there is refused
  // (PrivatePathError), never talked to.
  await checkPrivatePath(path.dirname(socketPath), 'folder');
  await checkPrivatePath(socketPath, 'socket');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const socket = net.createConnection(socketPath, () => socket.end('GET /status HTTP/1.0\r\nHost: localhost\r\n\r\n'));
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        socket.destroy();
        resolve('unsure');
      } else chunks.push(chunk);
    });
    // HTTP/1.0: the server closes the connection after its answer.
    socket.on('end', () => {
      const body = plainOkBody(Buffer.concat(chunks));
      if (body === null) return resolve('unsure');
      try {
        resolve(quickDaemonStatus(JSON.parse(body)) ?? 'unsure');
      } catch {
        resolve('unsure');
      }
    });
    // As the full client: no answer in time is no daemon for `status`.
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve('none');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK' ? 'none' : 'unsure'));
  });
}
