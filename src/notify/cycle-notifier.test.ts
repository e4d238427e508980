import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, it } from 'node:test';
import type { Settings } from '../config/settings.js';
import { silentLogger } from '../daemon/logger.js';
import type { ActionOutcome, CycleResult } from '../pipeline/cycle.js';
import type { CheckReport } from '../report/check-report.js';
import { CycleNotifier } from './cycle-notifier.js';
import { loadNotifyMemory } from './notify-memory.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/basewatch.js');
const dirs: string[] = [];
const servers: http.Server[] = [];
after(async () => {
  for (const server of servers) server.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const report = { engine: null, offline: false, roots: [], images: [], dockerfiles: [], compose: [], registries: [], errors: [] } as unknown as CheckReport;
function reported(target: string): ActionOutcome {
  return { target, kind: 'reported', reason: 'base updated', baseRef: 'docker.io/library/python:3.12-slim', digest: 'sha256:new', oldImageId: 'sha256:old', newImageId: null, packages: null, containersOnOldImage: [], warnings: [] };
}
const cycle = (...actions: ActionOutcome[]): CycleResult => ({ trigger: { kind: 'schedule' }, startedAt: 't0', finishedAt: 't1', report, actions, plan: [], dryRun: false });

function basewatch(args: string[], home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, BASEWATCH_HOME: home, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

it('keeps a snooze written by `basewatch snooze` while a slow webhook was being sent', { timeout: 60_000 }, async () => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'cycle-notifier-'));
  dirs.push(home);
  let arrived!: () => void;
  const hookArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let answer!: () => void;
  const mayAnswer = new Promise<void>((resolve) => {
    answer = resolve;
  });
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      arrived();
      // The webhook takes its time (a phone push service on a bad day).
      void mayAnswer.then(() => res.end('ok'));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

  const notifier = new CycleNotifier({
    stateDir: path.join(home, 'state'),
    logger: silentLogger,
    settings: () => ({ notifications: false, notifyWebhook: url }) as unknown as Settings,
  });
  const sending = notifier.notifyCycle(cycle(reported('app:1')));
  await hookArrived;
  // While the daemon waits on the webhook, the user snoozes another image from a terminal.
  const snoozed = await basewatch(['snooze', 'web:1', '1h'], home);
  assert.equal(snoozed.code, 0, snoozed.stderr);
  answer();
  const outcome = await sending;
  assert.equal(outcome.webhook, 'sent');
  assert.match(bodies[0] ?? '', /app:1/);

  const listed = await basewatch(['snooze'], home);
  assert.match(listed.stdout, /^web:1 {2}until /m, 'the snooze survived the notifier saving what it sent');
  const memory = await loadNotifyMemory(path.join(home, 'state'));
  assert.deepEqual(Object.keys(memory.sent), ['reported app:1 sha256:new']);

  // What the user then sees: nothing about web:1 (snoozed) and app:1 not a second time.
  const next = await notifier.notifyCycle(cycle(reported('app:1'), reported('web:1')));
  assert.equal(next.notification, null);
  assert.equal(bodies.length, 1);
});
