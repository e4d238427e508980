import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { EngineUnreachableError } from '../engine/connect.js';
import { parseEngineEvent, readEngineEvents } from '../engine/engine-events.js';
import type { CycleResult } from '../record/cycle-result.js';
import { causedByCycle } from './engine-event-gate.js';
import { describeEngineProblem, imageForEvent, reconnectDelayMs } from './engine-watcher.js';
import { describeWatchLimit, isInSkippedFolder } from './file-watcher.js';
import { clockJumpMs, describeGap } from './scheduler.js';
import { renderServiceFile } from './service-files.js';

describe('scheduler clocks', () => {
  it('sees a suspend as the wall clock running ahead of the monotonic one', () => {
    assert.equal(clockJumpMs({ wall: 0, mono: 0 }, { wall: 30_000, mono: 30_000 }, 120_000), null);
    assert.equal(clockJumpMs({ wall: 0, mono: 0 }, { wall: 3 * 3_600_000, mono: 30_000 }, 120_000), 3 * 3_600_000 - 30_000);
    // A blocked event loop delays both clocks alike: no jump.
    assert.equal(clockJumpMs({ wall: 0, mono: 0 }, { wall: 600_000, mono: 600_000 }, 120_000), null);
    assert.equal(describeGap(3 * 3_600_000 + 5 * 60_000), '3h 5m');
  });
});

describe('engine events', () => {
  it('parses image events and picks the image a cycle is for', () => {
    const tag = parseEngineEvent({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:abc', Attributes: { name: 'app:1' } }, time: 1 });
    assert.deepEqual(tag, { action: 'tag', id: 'sha256:abc', name: 'app:1', time: 1 });
    assert.equal(imageForEvent(tag!), 'app:1');
    assert.equal(parseEngineEvent({ Type: 'container', Action: 'start', Actor: { ID: 'x' } }), null);
    const pull = parseEngineEvent({ status: 'pull', id: 'python:3.12' });
    assert.equal(imageForEvent(pull!), 'python:3.12');
    assert.equal(imageForEvent({ action: 'delete', id: 'sha256:abc', name: null, time: 0 }), null);
    assert.equal(imageForEvent({ action: 'tag', id: 'sha256:abc', name: 'basewatch-rollback:abc', time: 0 }), null);
  });
  it('backs off up to a ceiling', () => {
    assert.deepEqual([0, 1, 2, 3, 10].map((n) => reconnectDelayMs(n)), [1000, 2000, 4000, 8000, 30_000]);
  });
  it('says which socket it cannot reach, and that the engine hung up, in one line', async () => {
    const unreachable = new EngineUnreachableError([{ host: 'unix:///run/x/docker.sock', source: 'DOCKER_HOST', reason: 'no such socket' }], [], true);
    assert.equal(describeEngineProblem(unreachable), 'cannot reach unix:///run/x/docker.sock (DOCKER_HOST): no such socket');
    assert.equal(describeEngineProblem(new Error('first line\nsecond')), 'first line');
    const body = new PassThrough();
    const events = readEngineEvents(body, () => {});
    body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    assert.equal(await events.closed, 'the engine closed the connection');
  });
  it('recognises the events of its own cycle', () => {
    const result = {
      actions: [{ target: 'app:1', kind: 'rebased', reason: '', baseRef: 'localhost:5000/base:1', digest: null, oldImageId: 'sha256:old', newImageId: 'sha256:new', packages: null, containersOnOldImage: [] }],
    } as unknown as CycleResult;
    assert.equal(causedByCycle({ action: 'tag', id: 'sha256:new', name: 'app:1', time: 0 }, result), true);
    assert.equal(causedByCycle({ action: 'pull', id: 'localhost:5000/base@sha256:1', name: 'localhost:5000/base@sha256:1', time: 0 }, result), true);
    assert.equal(causedByCycle({ action: 'tag', id: 'sha256:other', name: 'web:2', time: 0 }, result), false);
  });
});

describe('file watcher helpers', () => {
  it('skips dependency and VCS folders, and explains watch limits', () => {
    assert.equal(isInSkippedFolder('/p/node_modules/x/Dockerfile'), true);
    assert.equal(isInSkippedFolder('/p/.git/Dockerfile'), true);
    assert.equal(isInSkippedFolder('/p/app/Dockerfile'), false);
    // Only the part below the root counts: a root kept in a skipped-named folder is watched.
    assert.equal(isInSkippedFolder('/home/u/.cache/proj/app/Dockerfile', ['/home/u/.cache/proj']), false);
    assert.equal(isInSkippedFolder('/home/u/.cache/proj/node_modules/x/Dockerfile', ['/home/u/.cache/proj']), true);
    assert.equal(isInSkippedFolder('/home/u/.cache/proj/app/Dockerfile', ['/srv']), true);
    assert.match(describeWatchLimit('ENOSPC') ?? '', /max_user_watches/);
    assert.equal(describeWatchLimit('EACCES'), null);
  });
});

describe('service files', () => {
  it('renders absolute paths into the unit and the plist', () => {
    const unit = renderServiceFile({ platform: 'linux', node: '/opt/node 20/bin/node', script: '/srv/basewatch/bin/basewatch.js', home: '/home/me', logs: '/home/me/.local/state/basewatch/logs' });
    assert.equal(unit.file, '/home/me/.config/systemd/user/basewatch.service');
    assert.match(unit.content, /^ExecStart="\/opt\/node 20\/bin\/node" \/srv\/basewatch\/bin\/basewatch\.js daemon$/m);
    assert.doesNotMatch(unit.content.split('\n').filter((line) => !line.startsWith('#')).join('\n'), /@[A-Z]+@/);
    const plist = renderServiceFile({ platform: 'darwin', node: '/usr/local/bin/node', script: '/srv/bw/bin/basewatch.js', home: '/Users/me', logs: '/Users/me/Library/Logs/basewatch' });
    assert.equal(plist.file, '/Users/me/Library/LaunchAgents/com.basewatch.daemon.plist');
    assert.match(plist.content, /<string>\/Users\/me\/Library\/Logs\/basewatch\/launchd\.err\.log<\/string>/);
    assert.match(plist.content, /\/opt\/homebrew\/bin/);
    assert.throws(() => renderServiceFile({ platform: 'linux', node: 'node', script: '/x', home: '/h', logs: '/l' }), /absolute/);
  });
});
