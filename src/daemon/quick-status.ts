/**
 * The daemon's status for `basewatch status`, read without the control protocol's schemas (zod
 * and the report's), so `status` stays about as quick as a bare `node` with the daemon up too.
 * The check is of what `status` shows; an answer of any other shape goes through the full client.
 */
import http from 'node:http';
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

/**
 * GET /status on the control socket: the status, `'none'` when no daemon listens, or `'unsure'`
 * when the answer is not plainly one (then the full client asks again and says why).
 */
export async function askStatusQuickly(socketPath: string, timeoutMs: number): Promise<DaemonStatus | 'none' | 'unsure'> {
  // As the full client: a socket (or its folder) another user could have put there is refused
  // (PrivatePathError), never talked to.
  await checkPrivatePath(path.dirname(socketPath), 'folder');
  await checkPrivatePath(socketPath, 'socket');
  return new Promise((resolve) => {
    const req = http.request({ socketPath, method: 'GET', path: '/status' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => resolve('unsure'));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve('unsure');
        try {
          resolve(quickDaemonStatus(JSON.parse(Buffer.concat(chunks).toString('utf8'))) ?? 'unsure');
        } catch {
          resolve('unsure');
        }
      });
    });
    // As the full client: no answer in time is no daemon for `status`.
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve('none');
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT' || error.code === 'ECONNREFUSED' || error.code === 'ENOTSOCK' ? 'none' : 'unsure'));
    req.end();
  });
}
