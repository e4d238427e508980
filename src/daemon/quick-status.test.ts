import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DaemonStatusSchema } from './control-protocol.js';
import { plainOkBody, quickDaemonStatus } from './quick-status.js';

const status = {
  pid: 42,
  version: '0.1.0',
  startedAt: '2026-12-06T13:00:00Z',
  uptimeSeconds: 3600,
  socket: '/run/user/1000/basewatch/daemon.sock',
  logFile: '/home/dev/.local/state/basewatch/daemon.log',
  engine: { state: 'connected', host: 'unix:///var/run/docker.sock', source: 'default socket', since: '2026-12-06T13:00:00Z', problem: null, nextAttemptAt: null },
  schedule: { expression: '0 */6 * * *', nextRunAt: '2026-12-06T18:00:00Z', lastRunAt: null },
  watcher: { state: 'watching', roots: [{ root: '/home/dev/shop', dockerfiles: 3, composeFiles: 1, problem: null }], problem: null },
  cycles: {
    running: { trigger: { kind: 'files', detail: 'api/Dockerfile' }, startedAt: '2026-12-06T13:59:00Z' },
    pending: 0,
    waitingEvents: 2,
    completed: 4,
    last: { trigger: { kind: 'schedule' }, startedAt: '2026-12-06T12:00:00Z', finishedAt: '2026-12-06T12:00:03Z', dryRun: false, images: 12, outdated: 1, errors: 0, actions: [{ kind: 'reported', target: 'shop/api:dev', reason: 'policy report' }] },
    lastError: null,
  },
  notifications: { desktop: 'on', webhook: null },
};

test('a status the schema accepts is read the same without it', () => {
  assert.deepEqual(quickDaemonStatus(structuredClone(status)), DaemonStatusSchema.parse(structuredClone(status)));
  // An older daemon's, without the count of waiting events.
  const { waitingEvents: _, ...older } = status.cycles;
  assert.deepEqual(quickDaemonStatus({ ...status, cycles: older }), DaemonStatusSchema.parse({ ...status, cycles: older }));
});

test('anything else is left to the full client', () => {
  assert.equal(quickDaemonStatus({ ...status, pid: '42' }), null);
  assert.equal(quickDaemonStatus({ ...status, cycles: { ...status.cycles, last: { ...status.cycles.last, actions: [{ kind: 'x' }] } } }), null);
  assert.equal(quickDaemonStatus({ ...status, cycles: { ...status.cycles, waitingEvents: 'two' } }), null);
  assert.equal(quickDaemonStatus([]), null);
});

test('only a whole 200 answer with its length is read; anything else goes to the full client', () => {
  const body = '{"pid":42}\n';
  const answer = (head: string, text = body): Buffer => Buffer.from(`${head}\r\n\r\n${text}`);
  assert.equal(plainOkBody(answer(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close`)), body);
  // Cut short, an error answer, chunked, no length, no end of the headers.
  assert.equal(plainOkBody(answer(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length + 5}`)), null);
  assert.equal(plainOkBody(answer(`HTTP/1.1 503 Service Unavailable\r\nContent-Length: ${body.length}`)), null);
  assert.equal(plainOkBody(answer(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: ${body.length}`)), null);
  assert.equal(plainOkBody(answer('HTTP/1.1 200 OK')), null);
  assert.equal(plainOkBody(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${body}`)), null);
});
