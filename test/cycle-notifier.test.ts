// The notifier and the CLI writing the notification memory at the same time: a snooze given from
// a terminal while a slow webhook is being sent survives the notifier saving what it sent.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, it } from 'node:test';
import type { Settings } from '../src/config/settings.js';
import { silentLogger } from '../src/util/logger.js';
import { CycleNotifier } from '../src/notify/cycle-notifier.js';
import { loadNotifyMemory } from '../src/notify/notify-memory.js';
import type { ActionOutcome, CycleResult } from '../src/record/cycle-result.js';
import type { CheckReport } from '../src/report/check-report.js';
import { runBasewatch } from './helpers/basewatch.js';
import { type HeldWebhook, startHeldWebhook } from './helpers/held-webhook.js';
import { makeTempDir } from './helpers/world.js';

const webhooks: HeldWebhook[] = [];
after(async () => {
  for (const webhook of webhooks) await webhook.close();
});

const report = { engine: null, offline: false, roots: [], images: [], dockerfiles: [], compose: [], registries: [], errors: [] } as unknown as CheckReport;
function reported(target: string): ActionOutcome {
  return { target, kind: 'reported', reason: 'base updated', baseRef: 'docker.io/library/python:3.12-slim', digest: 'sha256:new', oldImageId: 'sha256:old', newImageId: null, packages: null, containersOnOldImage: [], warnings: [] };
}
const cycle = (...actions: ActionOutcome[]): CycleResult => ({ trigger: { kind: 'schedule' }, startedAt: 't0', finishedAt: 't1', report, actions, plan: [], dryRun: false });

it('keeps a snooze written by `basewatch snooze` while a slow webhook was being sent', { timeout: 60_000 }, async () => {
  const home = await makeTempDir('cycle-notifier');
  const webhook = await startHeldWebhook();
  webhooks.push(webhook);
  const notifier = new CycleNotifier({
    stateDir: path.join(home, 'state'),
    logger: silentLogger,
    settings: () => ({ notifications: false, notifyWebhook: webhook.url }) as unknown as Settings,
  });
  const sending = notifier.notifyCycle(cycle(reported('app:1')));
  await webhook.arrived;
  // While the daemon waits on the webhook, the user snoozes another image from a terminal.
  // No engine answers and no check is recorded: the name cannot be checked, so it is taken as given.
  const snoozed = await runBasewatch(['snooze', 'web:1', '1h'], { home, env: { DOCKER_HOST: `unix://${path.join(home, 'no-engine.sock')}` } });
  assert.equal(snoozed.code, 0, snoozed.stderr);
  webhook.release();
  const outcome = await sending;
  assert.equal(outcome.webhook, 'sent');
  assert.match(webhook.bodies[0] ?? '', /app:1/);

  const listed = await runBasewatch(['snooze'], { home });
  assert.match(listed.stdout, /^web:1 {2}until /m, 'the snooze survived the notifier saving what it sent');
  const memory = await loadNotifyMemory(path.join(home, 'state'));
  assert.deepEqual(Object.keys(memory.sent), ['reported app:1 sha256:new']);

  // What the user then sees: nothing about web:1 (snoozed) and app:1 not a second time.
  const next = await notifier.notifyCycle(cycle(reported('app:1'), reported('web:1')));
  assert.equal(next.notification, null);
  assert.equal(webhook.bodies.length, 1);
});
