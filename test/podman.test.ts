// basewatch against Podman's Docker-compatible API: the second engine of the test world. Podman
// reads every layer of a load, so a rebase there must take the full-archive path. (Containers
// cannot start in this sandbox under Podman, so files are read through the archive API.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectEngine } from '../src/engine/connect.js';
import { docker, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, uniqueName, writeProject } from './helpers/world.js';

function podmanSkip(): string | false {
  const world = getWorld();
  if (world === null) return 'no test world (Docker engine + registry); run `npm test`';
  if (world.podmanHost !== null) return false;
  if (process.env.CI === 'true') throw new Error('CI=true but the test world has no Podman (npm test sets it up as root on Linux)');
  return 'the test world has no Podman (it is set up when npm test runs as root on Linux)';
}

describe('basewatch on Podman', { skip: podmanSkip() }, () => {
  it('links, checks and rebases an image built by Podman, loading the full image', async () => {
    const world = getWorld();
    assert.ok(world?.podmanHost);
    const podman = { DOCKER_HOST: world.podmanHost };
    const baseRef = `${world.registry}/${uniqueName('podbase')}:1`;
    const oldBaseId = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v1\n' } });
    await pushImage(baseRef);
    await docker(['pull', baseRef], { env: podman });
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY hello.txt /srv/hello.txt\n`, 'hello.txt': 'hi from podman\n' });
    const name = uniqueName('podapp');
    await docker(['build', '-t', `${name}:1`, project], { env: podman, cwd: project });

    await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v2\n' } });
    const newDigest = await pushImage(baseRef);
    await docker(['tag', oldBaseId, baseRef]);

    const home = await makeTempDir('podman-home');
    const check = await runBasewatch(['check', '--json', `${name}:1`], { env: podman, home });
    const report = JSON.parse(check.stdout) as { images: Array<{ name: string; status: string; base: { ref: string } | null }>; engine: { host: string } };
    assert.equal(report.engine.host, world.podmanHost);
    assert.equal(report.images.length, 1, check.stdout);
    assert.equal(report.images[0]?.base?.ref, baseRef);
    assert.equal(report.images[0]?.status, 'outdated');

    const rebased = await runBasewatch(['rebase', '--json', `${name}:1`], { env: podman, home });
    const outcome = JSON.parse(rebased.stdout) as { status: string; fastPath: boolean; newBase: { digest: string }; newImageId: string; reasons: string[] };
    assert.equal(rebased.code, 0, rebased.stdout + rebased.stderr);
    assert.equal(outcome.status, 'rebased', outcome.reasons.join('; '));
    assert.equal(outcome.fastPath, false, 'Podman gets the full archive');
    assert.equal(outcome.newBase.digest, newDigest);

    const engine = await connectEngine({ env: podman });
    const image = await engine.inspectImage(`${name}:1`);
    assert.equal(image?.id, outcome.newImageId);
    const files = await engine.readImageFiles(`${name}:1`, ['/etc/base-version', '/srv/hello.txt']);
    assert.equal(files.get('etc/base-version')?.toString(), 'v2\n');
    assert.equal(files.get('srv/hello.txt')?.toString(), 'hi from podman\n');
  });

  it('names survive a pull that moves the tag: the old base, nameless in the API, is named by what the earlier check recorded', async () => {
    const world = getWorld();
    assert.ok(world?.podmanHost);
    const podman = { DOCKER_HOST: world.podmanHost };
    const baseRef = `${world.registry}/${uniqueName('podpull')}:1`;
    const oldBaseId = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v1\n' } });
    await pushImage(baseRef);
    await docker(['pull', baseRef], { env: podman });
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY hello.txt /srv/hello.txt\n`, 'hello.txt': 'hi\n' });
    const name = `${uniqueName('podpulled')}:1`;
    await docker(['build', '-t', name, project], { env: podman, cwd: project });
    await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v2\n' } });
    await pushImage(baseRef);
    await docker(['tag', oldBaseId, baseRef]);

    type Report = { images: Array<{ name: string; status: string; reason: string; base: { ref: string; localId: string | null } | null }> };
    const checkOn = async (home: string) => {
      const result = await runBasewatch(['check', '--json', name], { env: podman, home });
      const image = (JSON.parse(result.stdout) as Report).images.find((entry) => entry.name.endsWith(name));
      assert.ok(image, result.stdout);
      return image;
    };
    const home = await makeTempDir('podman-pull-home');
    assert.equal((await runBasewatch(['config', 'set', 'minimumAge', '0'], { home })).code, 0);
    const before = await checkOn(home);
    assert.equal(before.base?.ref, baseRef);
    assert.equal(before.status, 'outdated', before.reason);
    const oldBase = before.base?.localId;

    // The pull moves the tag on; Podman's Docker API then keeps no name of the old base at all (and
    // leaves it out of the image list).
    await docker(['pull', baseRef], { env: podman });
    const engine = await connectEngine({ env: podman });
    assert.ok(oldBase, JSON.stringify(before.base));
    const nameless = await engine.inspectImage(oldBase);
    assert.deepEqual([nameless?.repoTags, nameless?.repoDigests], [[], []], 'what this test is about: Podman keeps no name of the old base');

    const after = await checkOn(home);
    assert.equal(after.base?.ref, baseRef, JSON.stringify(after));
    assert.equal(after.base?.localId, oldBase);
    assert.equal(after.status, 'outdated', after.reason);
    const dry = await runBasewatch(['update', '--json', '--dry-run', name], { env: podman, home });
    const plan = (JSON.parse(dry.stdout) as { plan: Array<{ image: string; action: { kind: string } }> }).plan;
    assert.equal(plan.find((entry) => entry.image.endsWith(name))?.action.kind, 'rebase', dry.stdout);

    // Negative: with no earlier check, nothing names it, and basewatch says so rather than guess.
    const fresh = await checkOn(await makeTempDir('podman-fresh-home'));
    assert.notEqual(fresh.status, 'outdated', JSON.stringify(fresh));
    assert.notEqual(fresh.status, 'current', JSON.stringify(fresh));
  });
});
