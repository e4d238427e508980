// A real desktop notification: a session bus (dbus-run-session) and a notification server (dunst)
// under a virtual X server (Xvfb). One cycle's notification goes through node-notifier and
// notify-send; dunst records what it showed, and the text is what the user would read.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { makeTempDir, repoRoot } from './helpers/world.js';
import { findExecutable, run, stopProcess } from './world/process.js';

const TOOLS = ['dbus-run-session', 'dunst', 'dunstctl', 'Xvfb', 'notify-send'];
const missing = TOOLS.filter((tool) => findExecutable(tool) === null);
// Under CI the world installs these (test/world/packages.ts): missing there is a failure, not a skip.
const skip = missing.length > 0 && process.env.CI !== 'true' ? `missing ${missing.join(', ')} (Debian: dbus dunst xvfb libnotify-bin)` : false;

const dist = (file: string) => JSON.stringify(join(repoRoot, 'dist', 'src', file));

describe('desktop notification', { skip }, () => {
  let xvfb: ChildProcess | null = null;
  after(async () => {
    if (xvfb !== null) await stopProcess(xvfb, 2_000);
  });

  it('arrives once per cycle with the text built from the cycle result', async () => {
    assert.deepEqual(missing, [], 'the notification test needs these tools');
    const dir = await makeTempDir('desktop');
    const display = `:${90 + (process.pid % 400)}`;
    xvfb = spawn(findExecutable('Xvfb')!, [display, '-screen', '0', '800x600x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    const socket = `/tmp/.X11-unix/X${display.slice(1)}`;
    for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(existsSync(socket), `Xvfb did not start on ${display}`);

    // dunst runs a rule's script for each notification it shows: arguments appname summary body.
    const received = join(dir, 'received.txt');
    await writeFile(join(dir, 'record.sh'), `#!/bin/sh\nprintf '%s\\n--\\n%s\\n--\\n%s\\n==\\n' "$1" "$2" "$3" >> ${JSON.stringify(received)}\n`, { mode: 0o755 });
    await writeFile(join(dir, 'dunstrc'), `[global]\n    markup = no\n\n[record]\n    appname = basewatch\n    script = ${join(dir, 'record.sh')}\n`);

    const result = {
      trigger: { kind: 'schedule' },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:05.000Z',
      report: { engine: null, offline: false, roots: [], images: [], dockerfiles: [], compose: [], registries: [], errors: [] },
      actions: [
        { target: 'app:dev', kind: 'rebased', reason: 'rebased', baseRef: 'docker.io/library/python:3.12-slim', digest: 'sha256:1111', oldImageId: 'sha256:a', newImageId: 'sha256:b', packages: 'openssl 3.0.15-1 → 3.0.16-1', containersOnOldImage: ['web-1 (0123456789ab)'] },
      ],
      plan: [],
      dryRun: false,
    };
    await writeFile(join(dir, 'result.json'), JSON.stringify(result));
    await writeFile(
      join(dir, 'send.mjs'),
      `const { CycleNotifier } = await import(${dist('notify/cycle-notifier.js')});
const { silentLogger } = await import(${dist('util/logger.js')});
const result = JSON.parse(await (await import('node:fs/promises')).readFile(${JSON.stringify(join(dir, 'result.json'))}, 'utf8'));
const notifier = new CycleNotifier({ stateDir: ${JSON.stringify(join(dir, 'state'))}, logger: silentLogger, settings: () => ({ notifications: true, notifyWebhook: null }) });
const first = await notifier.notifyCycle(result);
const second = await notifier.notifyCycle(result);
console.log(JSON.stringify({ first: first.desktop, second: second.desktop, title: first.notification?.title, body: first.notification?.body }));
`,
    );
    const script = [
      `dunst -config ${JSON.stringify(join(dir, 'dunstrc'))} >${JSON.stringify(join(dir, 'dunst.log'))} 2>&1 &`,
      'DUNST=$!',
      'for i in $(seq 100); do dunstctl is-paused >/dev/null 2>&1 && break; sleep 0.1; done',
      `${JSON.stringify(process.execPath)} ${JSON.stringify(join(dir, 'send.mjs'))}`,
      `for i in $(seq 50); do [ -s ${JSON.stringify(received)} ] && break; sleep 0.1; done`,
      'kill $DUNST',
    ].join('\n');
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: display };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.WAYLAND_DISPLAY;
    const session = await run(findExecutable('dbus-run-session')!, ['--', 'sh', '-c', script], { env, timeoutMs: 60_000 });
    const dunstLog = await readFile(join(dir, 'dunst.log'), 'utf8').catch(() => '');
    assert.equal(session.code, 0, `${session.stderr}\n${dunstLog}`);
    const sent = JSON.parse(session.stdout.trim().split('\n').pop() ?? '{}') as { first: string; second: string; title: string; body: string };
    assert.equal(sent.first, 'sent', session.stdout);
    assert.equal(sent.second, 'nothing', 'the same image and digest is not notified twice');

    const shown = (await readFile(received, 'utf8').catch(() => '')).split('==\n').filter((entry) => entry.trim() !== '');
    assert.equal(shown.length, 1, `dunst showed: ${shown.join('\n')}\n${dunstLog}`);
    const [appname, summary, body] = shown[0]!.split('\n--\n').map((part) => part.trim());
    assert.equal(appname, 'basewatch');
    assert.equal(summary, 'basewatch: 1 image updated');
    assert.equal(
      body,
      'Rebased app:dev onto python:3.12-slim (openssl patched). Undo: basewatch rollback app:dev\n1 container still runs the old image: restart it to pick it up (web-1).',
    );
  });
});
