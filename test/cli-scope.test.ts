// The one scope rule (issue 15): what `ignore` names is not listed, not checked upstream (its dead
// registry cannot make `check` exit 5), not planned; it is counted, and `--all` lists it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { patchedBase } from './helpers/patched-base.js';
import { buildImage, getWorld, makeBaseImage, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

describe('ignore is one scope rule for check, status and update (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  it('an ignored image is counted, not listed, not checked, not planned; --all lists it', async () => {
    const world = getWorld();
    assert.ok(world);
    const base = await patchedBase(world.registry);
    // A base in a registry nothing answers at: checking it upstream can only fail (exit 5).
    const deadBase = `127.0.0.1:9/${uniqueName('dead')}:1`;
    await makeBaseImage({ ref: deadBase });
    const kept = `${uniqueName('scope-keep')}:1`;
    const skipped = `${uniqueName('scope-skip')}:1`;
    const project = await writeProject({
      'keep/Dockerfile': `FROM ${base.baseRef}\nCOPY a.txt /a.txt\n`,
      'keep/a.txt': 'a\n',
      'skip/Dockerfile': `FROM ${deadBase}\nCOPY b.txt /b.txt\n`,
      'skip/b.txt': 'b\n',
    });
    await buildImage({ context: path.join(project, 'keep'), tag: kept });
    await buildImage({ context: path.join(project, 'skip'), tag: skipped });
    const home = await makeTempDir('scope-home');
    const opts = { home, cwd: project };
    // The engine is shared with other images (other suites', other people's): name ours.
    const both = [kept, skipped];
    const linked = await runBasewatch(['link', skipped, './skip/Dockerfile'], opts);
    assert.equal(linked.code, 0, linked.stderr);

    // Without the setting the dead registry shows, and decides the exit code.
    const before = await runBasewatch(['check', ...both, '--root', project, '--json'], opts);
    assert.equal(before.code, 5, `${before.stdout}\n${before.stderr}`);
    const beforeReport = JSON.parse(before.stdout) as { images: Array<{ name: string; status: string; source: { dockerfile: string } | null }> };
    const skippedBefore = beforeReport.images.find((image) => image.name === skipped);
    assert.equal(skippedBefore?.status, 'error');
    // The link shows as the image's source.
    assert.equal(skippedBefore?.source?.dockerfile, path.join(project, 'skip', 'Dockerfile'));

    const glob = `${skipped.split(':')[0]}*`;
    assert.equal((await runBasewatch(['config', 'set', 'ignore', glob], opts)).code, 0);

    const json = await runBasewatch(['check', ...both, '--root', project, '--json'], opts);
    assert.equal(json.code, 0, `${json.stdout}\n${json.stderr}`);
    const report = JSON.parse(json.stdout) as {
      images: Array<{ name: string; status: string }>;
      dockerfiles: Array<{ path: string }>;
      ignored: Array<{ kind: string; name: string; glob: string }>;
    };
    assert.equal(report.images.find((image) => image.name === kept)?.status, 'outdated');
    assert.ok(!report.images.some((image) => image.name === skipped), 'the ignored image is not in the report');
    assert.ok(!report.dockerfiles.some((file) => file.path.includes(`${path.sep}skip${path.sep}`)), 'the Dockerfile of the ignored image is not checked');
    assert.deepEqual(
      report.ignored.filter((entry) => entry.name === skipped || entry.name.includes(`${path.sep}skip${path.sep}`)).map((entry) => entry.kind).sort(),
      ['dockerfile', 'image'],
    );
    assert.ok(report.ignored.every((entry) => entry.glob === glob));

    const table = await runBasewatch(['check', ...both, '--root', project], opts);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(kept.replace(/[.:]/g, '\\$&')));
    assert.doesNotMatch(table.stdout, new RegExp(skipped.replace(/[.:]/g, '\\$&')));
    assert.match(table.stdout, /\d+ ignored \(.*basewatch check --all` lists them\)/);

    const all = await runBasewatch(['check', ...both, '--root', project, '--all'], opts);
    assert.match(all.stdout, new RegExp(`image\\s+${skipped.replace(/[.:]/g, '\\$&')}\\s+\\(ignore: ${glob.replace(/[.*]/g, '\\$&')}\\)`));

    // status shows the recorded report: the same scope.
    const status = await runBasewatch(['status'], opts);
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stdout, new RegExp(skipped.replace(/[.:]/g, '\\$&')));
    assert.match(status.stdout, /ignored \(.*basewatch status --all/);

    // update: the plan never names it, and the dead registry does not fail the cycle.
    const update = await runBasewatch(['update', ...both, '--root', project, '--dry-run', '--json'], opts);
    assert.equal(update.code, 0, `${update.stdout}\n${update.stderr}`);
    const cycle = JSON.parse(update.stdout) as { plan: Array<{ image: string }> };
    assert.ok(cycle.plan.some((entry) => entry.image === kept));
    assert.ok(!cycle.plan.some((entry) => entry.image === skipped));
  });
});
