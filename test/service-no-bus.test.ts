// `basewatch service` where no user service manager can be reached (root in a container, su, a
// cron job; issue 15): install writes nothing and says how to get one or how to do without;
// status always prints a state; doctor agrees with it; uninstall still cleans up. The unit carries
// the installing shell's BASEWATCH_HOME, DOCKER_HOST, DOCKER_CONTEXT and DOCKER_CONFIG.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir, runBasewatch } from './helpers/world.js';

const linux = process.platform === 'linux';

async function noBus(): Promise<{ home: string; env: Record<string, string | undefined>; unit: string }> {
  const home = await makeTempDir('svc-home');
  // A runtime folder with no bus in it: no systemd user manager can be reached, on any machine.
  const runtime = await makeTempDir('svc-runtime');
  return { home, env: { HOME: home, XDG_RUNTIME_DIR: runtime }, unit: path.join(home, '.config', 'systemd', 'user', 'basewatch.service') };
}

describe('service without a user bus', { skip: linux ? false : 'the systemd user unit is Linux only' }, () => {
  it('install writes nothing, exits 7 and prints the fix; status prints a state; doctor agrees', async () => {
    const { home, env, unit } = await noBus();
    const install = await runBasewatch(['service', 'install'], { home, env });
    assert.equal(install.code, 7, `${install.stdout}\n${install.stderr}`);
    assert.ok(!existsSync(unit), 'nothing was written');
    assert.match(install.stderr, /no user service manager to install into: there is no user bus at .*\/bus .*nothing was written/);
    assert.match(install.stderr, /loginctl enable-linger/);
    assert.match(install.stderr, /graphical or SSH session/);
    assert.match(install.stderr, /basewatch daemon from your own autostart/);

    const withoutRuntime = await runBasewatch(['service', 'install'], { home, env: { ...env, XDG_RUNTIME_DIR: undefined } });
    assert.equal(withoutRuntime.code, 7);
    assert.match(withoutRuntime.stderr, /XDG_RUNTIME_DIR is not set/);

    const status = await runBasewatch(['service', 'status'], { home, env });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^service {3}not installed/m);
    assert.match(status.stdout, /^manager {3}not reachable: there is no user bus/m);
    assert.match(status.stdout, /^daemon {4}not running/m);
    const json = JSON.parse((await runBasewatch(['service', 'status', '--json'], { home, env })).stdout) as { installed: boolean; managerProblem: string | null };
    assert.equal(json.installed, false);
    assert.match(json.managerProblem ?? '', /no user bus/);

    const doctor = JSON.parse((await runBasewatch(['doctor', '--json'], { home, env })).stdout) as { checks: Array<{ name: string; level: string; detail: string; fix: string | null }> };
    const service = doctor.checks.find((item) => item.name === 'service');
    assert.equal(service?.level, 'warn');
    assert.match(service?.detail ?? '', /no user service manager here/);
    assert.match(service?.fix ?? '', /loginctl enable-linger/);
  });

  it('a unit left installed where nothing can start it: status says so, doctor fails it, uninstall removes it and exits 0', async () => {
    const { home, env, unit } = await noBus();
    const dry = await runBasewatch(['service', 'install', '--dry-run'], { home, env });
    await fs.mkdir(path.dirname(unit), { recursive: true });
    await fs.writeFile(unit, dry.stdout.split('\n').filter((line) => !line.startsWith('# would')).join('\n'));
    const status = await runBasewatch(['service', 'status'], { home, env });
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^service {3}installed \(/m);
    assert.match(status.stdout, /nothing can start it from here/);
    const doctor = await runBasewatch(['doctor', '--json'], { home, env });
    assert.equal(doctor.code, 4, 'a failing check: exit 4');
    const service = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; level: string; detail: string }> }).checks.find((item) => item.name === 'service');
    assert.equal(service?.level, 'fail');
    assert.match(service?.detail ?? '', /is installed, but nothing can start it/);
    const uninstall = await runBasewatch(['service', 'uninstall'], { home, env });
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.match(uninstall.stdout, /Removed .*basewatch\.service \(no user service manager answers here/);
    assert.ok(!existsSync(unit));
  });

  it("the unit and the plist carry the installing shell's BASEWATCH_HOME, DOCKER_HOST, DOCKER_CONTEXT and DOCKER_CONFIG", async () => {
    const { home, env } = await noBus();
    const shell = { ...env, DOCKER_HOST: 'unix:///run/user/1000/docker.sock', DOCKER_CONTEXT: 'colima', DOCKER_CONFIG: '/home/me/my docker', BASEWATCH_HOME: '/home/me/bw 100%' };
    const unit = await runBasewatch(['service', 'install', '--dry-run'], { home, env: shell });
    assert.equal(unit.code, 0, unit.stderr);
    assert.match(unit.stdout, /^Environment=DOCKER_HOST=unix:\/\/\/run\/user\/1000\/docker\.sock$/m);
    assert.match(unit.stdout, /^Environment=DOCKER_CONTEXT=colima$/m);
    assert.match(unit.stdout, /^Environment="DOCKER_CONFIG=\/home\/me\/my docker"$/m);
    assert.match(unit.stdout, /^Environment="BASEWATCH_HOME=\/home\/me\/bw 100%%"$/m, 'systemd specifiers escaped');
    const plist = await runBasewatch(['service', 'install', '--platform', 'darwin'], { home, env: shell });
    assert.match(plist.stdout, /<key>DOCKER_HOST<\/key>\s*<string>unix:\/\/\/run\/user\/1000\/docker\.sock<\/string>/);
    assert.match(plist.stdout, /<key>BASEWATCH_HOME<\/key>\s*<string>\/home\/me\/bw 100%<\/string>/);
  });
});
