// Typos are caught (issue 15): every command that names an image, a folder or a file checks it
// exists, exits 4 and offers the close local names; nothing is recorded, built or snoozed.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildImage, docker, getWorld, makeBaseImage, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

const quoted = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('typos are caught (real engine)', { skip: skipWithoutWorld() }, () => {
  it('link, rebuild, update, snooze name a missing image: exit 4, "did you mean", nothing done; unlink undoes a link', async () => {
    const world = getWorld();
    assert.ok(world);
    const baseRef = `${world.registry}/${uniqueName('typo-base')}:1`;
    await makeBaseImage({ ref: baseRef });
    const repo = uniqueName('typoapp');
    const real = `${repo}:1`;
    const typo = `${repo}x:1`;
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
    await buildImage({ context: project, tag: real });
    const home = await makeTempDir('typo-home');
    const opts = { home, cwd: project };
    const didYouMean = new RegExp(`did you mean [^\\n]*${quoted(real)}`);

    const link = await runBasewatch(['link', typo, './Dockerfile'], opts);
    assert.equal(link.code, 4, `${link.stdout}\n${link.stderr}`);
    assert.match(link.stderr, new RegExp(`no local image ${quoted(typo)}`));
    assert.match(link.stderr, didYouMean);
    assert.ok(!existsSync(path.join(home, 'state', 'build-links.json')) || !(await fs.readFile(path.join(home, 'state', 'build-links.json'), 'utf8')).includes(`${repo}x`), 'nothing was linked');

    const rebuild = await runBasewatch(['rebuild', typo, '--json'], opts);
    assert.equal(rebuild.code, 4, `${rebuild.stdout}\n${rebuild.stderr}`);
    assert.match(rebuild.stdout, didYouMean);
    assert.equal(await docker(['image', 'inspect', typo]).then(() => 'built', () => 'absent'), 'absent', 'rebuild built no image under the typo');

    const update = await runBasewatch(['update', typo, '--root', project], opts);
    assert.equal(update.code, 4, `${update.stdout}\n${update.stderr}`);
    assert.doesNotMatch(update.stdout, /Nothing to do/);
    assert.match(update.stderr, didYouMean);

    const check = await runBasewatch(['check', typo, '--root', project, '--offline'], opts);
    assert.equal(check.code, 4, `${check.stdout}\n${check.stderr}`);

    const snooze = await runBasewatch(['snooze', typo, '1d'], opts);
    assert.equal(snooze.code, 4, `${snooze.stdout}\n${snooze.stderr}`);
    assert.match(snooze.stderr, didYouMean);
    const snoozes = await runBasewatch(['snooze', '--json'], opts);
    assert.deepEqual(JSON.parse(snoozes.stdout), { snoozes: [] }, 'nothing was snoozed');
    // The real name is accepted, and --json says so.
    const snoozed = await runBasewatch(['snooze', real, '1d', '--json'], opts);
    assert.equal(snoozed.code, 0, snoozed.stderr);
    assert.equal((JSON.parse(snoozed.stdout) as { target: string }).target, real);

    // link the real name; then unlink: a typo there is caught too.
    const linked = await runBasewatch(['link', real, './Dockerfile'], opts);
    assert.equal(linked.code, 0, linked.stderr);
    const checked = await runBasewatch(['check', real, '--root', project, '--offline', '--json'], opts);
    const image = (JSON.parse(checked.stdout) as { images: Array<{ name: string; source: { dockerfile: string } | null }> }).images[0];
    assert.equal(image?.source?.dockerfile, path.join(project, 'Dockerfile'), 'a link shows in check as source');
    const wrongUnlink = await runBasewatch(['unlink', typo], opts);
    assert.equal(wrongUnlink.code, 4, wrongUnlink.stderr);
    assert.match(wrongUnlink.stderr, didYouMean);
    const unlinked = await runBasewatch(['unlink', real, '--json'], opts);
    assert.equal(unlinked.code, 0, unlinked.stderr);
    assert.equal((JSON.parse(unlinked.stdout) as { unlinked: { dockerfile: string } }).unlinked.dockerfile, path.join(project, 'Dockerfile'));
    const after = await runBasewatch(['check', real, '--root', '/nonexistent-root-for-typos', '--offline', '--json'], opts);
    assert.equal((JSON.parse(after.stdout) as { images: Array<{ source: unknown }> }).images[0]?.source, null, 'the link is gone');
  });

  it('config set roots and watch name a missing folder: exit 4 with the close folder, settings unchanged', async () => {
    const home = await makeTempDir('typo-roots');
    const parent = await makeTempDir('typo-parent');
    await fs.mkdir(path.join(parent, 'projects'));
    const typo = path.join(parent, 'projcts');
    const set = await runBasewatch(['config', 'set', 'roots', typo], { home });
    assert.equal(set.code, 4, set.stderr);
    assert.match(set.stderr, new RegExp(`roots: the folder ${quoted(typo)} does not exist; did you mean ${quoted(path.join(parent, 'projects'))}\\?`));
    assert.equal((await runBasewatch(['config', 'get', 'roots', '--json'], { home })).stdout.trim(), '[]');
    const watch = await runBasewatch(['watch', typo], { home });
    assert.equal(watch.code, 4, watch.stderr);
    assert.match(watch.stderr, /did you mean/);
    const ok = await runBasewatch(['watch', path.join(parent, 'projects'), '--json'], { home });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual((JSON.parse(ok.stdout) as { roots: string[] }).roots, [path.join(parent, 'projects')]);
  });

  it('a config value out of its choices is said in basewatch words, naming the key and the accepted values', async () => {
    const home = await makeTempDir('typo-policy');
    const set = await runBasewatch(['config', 'set', 'policy', 'rebas'], { home });
    assert.equal(set.code, 2, set.stderr);
    assert.match(set.stderr, /policy: expected one of auto, rebase, rebuild, notify, pin \(got "rebas"\)/);
    assert.doesNotMatch(set.stderr, /Invalid option/);
  });
});
