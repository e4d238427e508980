// The service files as `basewatch service install` writes them: the systemd unit passes
// `systemd-analyze verify`, the launchd plist parses (python3's plistlib) with the keys launchd needs.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultScriptPath, renderServiceFile } from '../src/daemon/service-files.js';
import { findExecutable, run } from './world/process.js';
import { makeTempDir } from './helpers/world.js';

const ci = process.env.CI === 'true';

describe('service files', () => {
  it('the rendered systemd unit passes systemd-analyze verify', { skip: !ci && findExecutable('systemd-analyze') === null ? 'no systemd-analyze here' : false }, async () => {
    const analyze = findExecutable('systemd-analyze');
    assert.ok(analyze, 'systemd-analyze is needed under CI=true (Debian package systemd)');
    const dir = await makeTempDir('unit');
    // With the installing shell's variables, a space and a % among them: still a valid unit.
    const environment = { BASEWATCH_HOME: join(dir, 'bw home 100%'), DOCKER_HOST: 'unix:///run/docker.sock' };
    const unit = renderServiceFile({ platform: 'linux', node: process.execPath, script: defaultScriptPath(), home: dir, logs: join(dir, 'logs'), environment });
    const file = join(dir, 'basewatch.service');
    await writeFile(file, unit.content);
    const result = await run(analyze, ['verify', file], { timeoutMs: 60_000 });
    // verify prints problems of the unit file itself as "<file>:<line>: …"; other lines are about the host.
    const ours = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.includes('basewatch.service'));
    assert.deepEqual(ours, [], `${result.stdout}${result.stderr}`);
    assert.match(unit.content, new RegExp(`^ExecStart=${process.execPath.replace(/[.]/g, '\\.')} \\S+/bin/basewatch\\.js daemon$`, 'm'));
    assert.match(unit.content, /^Restart=on-failure$/m);
    assert.match(unit.content, /^WantedBy=default\.target$/m);
    assert.match(unit.content, /^Environment=DOCKER_HOST=unix:\/\/\/run\/docker\.sock$/m);
  });

  it('the rendered launchd plist parses and has the keys launchd needs', { skip: !ci && findExecutable('python3') === null ? 'no python3 here' : false }, async () => {
    const dir = await makeTempDir('plist');
    const plist = renderServiceFile({
      platform: 'darwin',
      node: '/opt/homebrew/bin/node',
      script: '/Users/me/basewatch/bin/basewatch.js',
      home: '/Users/me',
      logs: '/Users/me/Library/Logs/basewatch',
      environment: { DOCKER_HOST: 'unix:///Users/me/.colima/default/docker.sock', DOCKER_CONFIG: '/Users/me/<odd> & co' },
    });
    const file = join(dir, 'com.basewatch.daemon.plist');
    await writeFile(file, plist.content);
    const script = 'import json, plistlib, sys\nwith open(sys.argv[1], "rb") as f: print(json.dumps(plistlib.load(f)))';
    const result = await run('python3', ['-c', script, file]);
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(parsed['Label'], 'com.basewatch.daemon');
    assert.deepEqual(parsed['ProgramArguments'], ['/opt/homebrew/bin/node', '/Users/me/basewatch/bin/basewatch.js', 'daemon']);
    assert.equal(parsed['RunAtLoad'], true);
    assert.deepEqual(parsed['KeepAlive'], { SuccessfulExit: false });
    assert.equal(parsed['StandardErrorPath'], '/Users/me/Library/Logs/basewatch/launchd.err.log');
    const searchPath = String((parsed['EnvironmentVariables'] as Record<string, unknown>)['PATH']).split(':');
    for (const dirName of ['/usr/local/bin', '/opt/homebrew/bin', '/Users/me/.docker/bin']) assert.ok(searchPath.includes(dirName), `${dirName} in PATH`);
    const vars = parsed['EnvironmentVariables'] as Record<string, unknown>;
    assert.equal(vars['DOCKER_HOST'], 'unix:///Users/me/.colima/default/docker.sock');
    assert.equal(vars['DOCKER_CONFIG'], '/Users/me/<odd> & co');
  });
});
