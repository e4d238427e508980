// Commands agree (issue 15): a wait or a refusal says what would act now; a check about some
// images updates the saved report in place; update with no engine says why.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { patchedBase } from './helpers/patched-base.js';
import { buildImage, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

const quoted = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('commands agree (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  it('minimumAge: update names what acts now; rebase refused names the Dockerfile to link; a partial check updates the saved report in place', async () => {
    const world = getWorld();
    assert.ok(world);
    const base = await patchedBase(world.registry);
    const plain = `${uniqueName('story-plain')}:1`;
    const pkg = `${uniqueName('story-pkg')}:1`;
    const project = await writeProject({
      'plain/Dockerfile': `FROM ${base.baseRef}\nCOPY a.txt /a.txt\n`,
      'plain/a.txt': 'a\n',
      // A package install: the seam check refuses a rebase.
      'pkg/Dockerfile': `FROM ${base.baseRef}\nRUN echo 'Package: extra' >> /var/lib/dpkg/status\n`,
    });
    await buildImage({ context: path.join(project, 'plain'), tag: plain });
    await buildImage({ context: path.join(project, 'pkg'), tag: pkg });
    const home = await makeTempDir('story-home');
    const opts = { home, cwd: project };

    // Default minimumAge (1h): check says outdated, update waits and says what acts now.
    const update = await runBasewatch(['update', plain, '--root', project], opts);
    assert.equal(update.code, 0, `${update.stdout}\n${update.stderr}`);
    assert.match(update.stdout, new RegExp(`${quoted(plain)}: the new digest was first seen .* \\(minimumAge, .* to go\\); to act now: basewatch rebase ${quoted(plain)}, or basewatch config set minimumAge 0`));

    // The rebase refusal names the Dockerfile the image's history matches, and the link that confirms it.
    const rebase = await runBasewatch(['rebase', pkg, '--root', project], opts);
    assert.equal(rebase.code, 6, `${rebase.stdout}\n${rebase.stderr}`);
    assert.match(rebase.stdout, new RegExp(`looks built from \\./pkg/Dockerfile; confirm with basewatch link ${quoted(pkg)} \\./pkg/Dockerfile, then basewatch rebuild ${quoted(pkg)}`));

    // A check about one image keeps the other's entry in the saved report.
    const both = await runBasewatch(['check', plain, pkg, '--root', project], opts);
    assert.equal(both.code, 0, `${both.stdout}\n${both.stderr}`);
    const one = await runBasewatch(['check', plain, '--root', project], opts);
    assert.equal(one.code, 0, one.stderr);
    const status = await runBasewatch(['status', '--json'], opts);
    const names = (JSON.parse(status.stdout) as { report: { images: Array<{ name: string }> } }).report.images.map((image) => image.name);
    assert.deepEqual(names.filter((name) => name === plain || name === pkg).sort(), [plain, pkg].sort());
  });

  it('eol show with no argument lists the bases in use at the last check, with what the table says', async () => {
    const world = getWorld();
    assert.ok(world);
    const baseRef = `${world.registry}/${uniqueName('eol-base')}:3.8-buster`;
    await makeBaseImage({ ref: baseRef });
    await pushImage(baseRef);
    const app = `${uniqueName('eol-app')}:1`;
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
    await buildImage({ context: project, tag: app });
    const home = await makeTempDir('eol-home');
    const none = await runBasewatch(['eol', 'show'], { home });
    assert.equal(none.code, 0);
    assert.match(none.stderr, /no check is recorded yet.*run basewatch check/);
    const check = await runBasewatch(['check', app, '--root', project], { home });
    assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
    const shown = await runBasewatch(['eol', 'show', '--json'], { home });
    assert.equal(shown.code, 0, shown.stderr);
    const body = JSON.parse(shown.stdout) as { from: string; images: Array<{ image: string; findings: Array<{ product: string; status: string }> }> };
    assert.equal(body.from, 'last check');
    assert.deepEqual(body.images.map((entry) => entry.image), [baseRef]);
    assert.equal(body.images[0]?.findings[0]?.product, 'debian');
    assert.equal(body.images[0]?.findings[0]?.status, 'past');
    const table = await runBasewatch(['eol', 'show'], { home });
    assert.match(table.stdout, /The 1 base in use at the last check:/);
    assert.match(table.stdout, new RegExp(`${quoted(baseRef)}: Debian 10`));
  });

  it('after update rebased an image, the saved report (status) shows it current under its new id, not outdated', async () => {
    const world = getWorld();
    assert.ok(world);
    const base = await patchedBase(world.registry);
    const app = `${uniqueName('story-acted')}:1`;
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
    await buildImage({ context: project, tag: app });
    const home = await makeTempDir('story-acted');
    assert.equal((await runBasewatch(['config', 'set', 'minimumAge', '0'], { home })).code, 0);
    const update = await runBasewatch(['update', app, '--root', project, '--json'], { home });
    assert.equal(update.code, 0, `${update.stdout}\n${update.stderr}`);
    const action = (JSON.parse(update.stdout) as { actions: Array<{ kind: string; newImageId: string }> }).actions[0];
    assert.equal(action?.kind, 'rebased');
    const status = JSON.parse((await runBasewatch(['status', '--json'], { home })).stdout) as { report: { images: Array<{ name: string; id: string; status: string; reason: string }> } };
    const entry = status.report.images.find((image) => image.name === app);
    assert.equal(entry?.status, 'current', JSON.stringify(entry));
    assert.equal(entry?.id, action?.newImageId);
    assert.match(entry?.reason ?? '', /^rebased onto /);
  });

  it('rebuild of an image with no known Dockerfile names the one the last check found it built from', async () => {
    const world = getWorld();
    assert.ok(world);
    const base = await patchedBase(world.registry);
    const app = `${uniqueName('story-nofile')}:1`;
    const project = await writeProject({ 'api/Dockerfile': `FROM ${base.baseRef}\nCOPY a.txt /a.txt\n`, 'api/a.txt': 'a\n' });
    await buildImage({ context: path.join(project, 'api'), tag: app });
    const home = await makeTempDir('story-nofile');
    const check = await runBasewatch(['check', app, '--root', project], { home, cwd: project });
    assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
    const rebuild = await runBasewatch(['rebuild', app], { home, cwd: project });
    assert.equal(rebuild.code, 7, `${rebuild.stdout}\n${rebuild.stderr}`);
    assert.match(rebuild.stdout, new RegExp(`looks built from \\./api/Dockerfile: basewatch link ${quoted(app)} \\./api/Dockerfile, then basewatch rebuild ${quoted(app)}`));
  });

  it('update with no engine: exit 3 and the reason, not "Nothing to do."', async () => {
    const home = await makeTempDir('story-no-engine');
    const socket = path.join(home, 'no-engine.sock');
    const update = await runBasewatch(['update'], { home, env: { DOCKER_HOST: `unix://${socket}` } });
    assert.equal(update.code, 3, `${update.stdout}\n${update.stderr}`);
    assert.doesNotMatch(update.stdout, /Nothing to do/);
    assert.match(update.stdout, /no Docker engine answered/);
    assert.match(update.stdout, new RegExp(quoted(socket)));
  });
});
