// `basewatch check` against the real registry: a moved tag is outdated, a multi-arch index whose
// other platforms changed is not, an unreachable registry is an error that names it.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { MANIFEST_ACCEPT, type PushedImage, type Pusher, pushImage as pushRawImage, pushIndex } from './registry-content.js';
import {
  buildImage,
  docker,
  getWorld,
  inspectImage,
  makeBaseImage,
  makeTempDir,
  pushImage,
  runBasewatch,
  skipWithoutWorld,
  uniqueName,
  writeProject,
} from './helpers/world.js';
import { usesContainerdStore } from './helpers/engine-store.js';

interface ImageEntry {
  name: string;
  tags: string[];
  base: { ref: string; digest: string | null; latest: string | null } | null;
  status: string;
  reason: string;
  checkedAt: string | null;
}
interface BaseEntry {
  ref: string;
  local: string | null;
  latest: string | null;
  status: string;
  reason: string;
}
interface Report {
  images: ImageEntry[];
  dockerfiles: Array<{ path: string; bases: BaseEntry[] }>;
  errors: Array<{ where: string; message: string }>;
}

/** Checks the project's Dockerfiles and, when named, only those images: the engine is shared with other tests. */
async function check(root: string, home: string, extra: string[] = []): Promise<{ code: number | null; report: Report; stdout: string }> {
  const result = await runBasewatch(['check', '--json', '--root', root, ...extra], { home });
  try {
    return { code: result.code, report: JSON.parse(result.stdout) as Report, stdout: result.stdout };
  } catch {
    return assert.fail(`check printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

function image(report: Report, tag: string): ImageEntry {
  const found = report.images.find((entry) => entry.tags.includes(tag));
  assert.ok(found, `no ${tag} in ${report.images.map((entry) => entry.name).join(', ')}`);
  return found;
}

function dockerfileBase(report: Report, file: string): BaseEntry {
  const found = report.dockerfiles.find((entry) => entry.path === file)?.bases[0];
  assert.ok(found, `no base for ${file}`);
  return found;
}

/** Size and media type of a manifest the registry holds, so an index can point at it. */
async function describeManifest(registry: string, repository: string, digest: string): Promise<PushedImage> {
  const response = await fetch(`http://${registry}/v2/${repository}/manifests/${digest}`, {
    headers: { Accept: MANIFEST_ACCEPT },
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { config: { digest: string } };
  return {
    digest,
    size: Number(response.headers.get('content-length')),
    configDigest: body.config.digest,
    // Docker v2 from Engine 20.10 and the classic store, OCI from the containerd store.
    mediaType: response.headers.get('content-type') ?? '',
  };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('basewatch check against the registry', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('turns image and Dockerfile base outdated when a new base is pushed under the same tag', async () => {
    const baseRef = `${registry}/${uniqueName('slim')}:3.12`;
    const oldId = await makeBaseImage({ ref: baseRef, files: { '/etc/patch-level': '1\n' } });
    const oldDigest = await pushImage(baseRef);
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
    const tag = `${uniqueName('svc')}:1`;
    await buildImage({ context: project, tag });
    const home = path.join(project, '.home');

    const before = await check(project, home, ['--exit-code', tag]);
    assert.equal(before.code, 0, before.stdout);
    assert.equal(image(before.report, tag).status, 'current');
    assert.equal(image(before.report, tag).base?.latest, oldDigest);
    assert.equal(dockerfileBase(before.report, path.join(project, 'Dockerfile')).status, 'current');

    // Upstream publishes a patched base under the same tag; this machine still has the old one.
    await makeBaseImage({ ref: baseRef, files: { '/etc/patch-level': '2\n' } });
    const newDigest = await pushImage(baseRef);
    await docker(['tag', oldId, baseRef]);

    const after = await check(project, home, ['--exit-code', tag]);
    assert.equal(after.code, 1, 'check --exit-code exits 1 when something is outdated');
    const app = image(after.report, tag);
    assert.equal(app.status, 'outdated');
    assert.equal(app.base?.digest, oldDigest);
    assert.equal(app.base?.latest, newDigest);
    assert.match(app.checkedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    const base = dockerfileBase(after.report, path.join(project, 'Dockerfile'));
    assert.equal(base.status, 'outdated');
    assert.equal(base.local, oldDigest);
    assert.equal(base.latest, newDigest);

    // status shows the same without asking anyone (the registry is not even named).
    const status = await runBasewatch(['status', '--json'], { home, env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { report: Report; lastCheck: { at: string } };
    assert.equal(image(shown.report, tag).status, 'outdated');
    assert.equal(image(shown.report, tag).base?.latest, newDigest);
    const human = await runBasewatch(['status'], { home });
    assert.match(human.stdout, new RegExp(`${tag.replace(/[.:]/g, '\\$&')}\\s.*outdated`));
  });

  it('does not raise an alarm when only another platform of a multi-arch base changed', async () => {
    const repository = uniqueName('multi');
    const pusher: Pusher = { url: `http://${registry}` };
    const amd64Ref = `${registry}/${repository}:amd64-1`;
    await makeBaseImage({ ref: amd64Ref, files: { '/etc/patch-level': '1\n' } });
    const amd64v1 = await describeManifest(registry, repository, await pushImage(amd64Ref));
    const arm64v1 = await pushRawImage(pusher, repository, 'arm64-1', { architecture: 'arm64', variant: 'v8', seed: 'arm-1', docker: true });
    const amd64Platform = { os: 'linux', architecture: 'amd64' };
    const arm64Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    const index1 = await pushIndex(pusher, repository, 'multi', [
      { image: amd64v1, platform: amd64Platform },
      { image: arm64v1, platform: arm64Platform },
    ], { docker: true });

    const baseRef = `${registry}/${repository}:multi`;
    // Pull it as a user would, with nothing of it local before: Docker records the index digest.
    await docker(['image', 'rm', amd64Ref]);
    await docker(['pull', baseRef]);
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY . /src\n` });
    const tag = `${uniqueName('onmulti')}:1`;
    await buildImage({ context: project, tag });
    const home = path.join(project, '.home');

    const first = await check(project, home);
    assert.equal(image(first.report, tag).base?.digest, index1.digest, 'built on the index digest docker recorded');
    assert.equal(image(first.report, tag).status, 'current');

    // Only arm64 is republished: the index digest changes, this platform's image does not.
    const arm64v2 = await pushRawImage(pusher, repository, 'arm64-2', { architecture: 'arm64', variant: 'v8', seed: 'arm-2', docker: true });
    const index2 = await pushIndex(pusher, repository, 'multi', [
      { image: amd64v1, platform: amd64Platform },
      { image: arm64v2, platform: arm64Platform },
    ], { docker: true });
    assert.notEqual(index2.digest, index1.digest);
    const second = await check(project, home, ['--exit-code', tag]);
    assert.equal(second.code, 0, second.stdout);
    const unchanged = image(second.report, tag);
    assert.equal(unchanged.status, 'current');
    assert.equal(unchanged.base?.latest, index2.digest);
    assert.match(unchanged.reason, /other platforms/);
    assert.equal(dockerfileBase(second.report, path.join(project, 'Dockerfile')).status, 'current');

    // Now amd64 itself gets a new image.
    const amd64v2Ref = `${registry}/${repository}:amd64-2`;
    await makeBaseImage({ ref: amd64v2Ref, files: { '/etc/patch-level': '2\n' } });
    const amd64v2 = await describeManifest(registry, repository, await pushImage(amd64v2Ref));
    const index3 = await pushIndex(pusher, repository, 'multi', [
      { image: amd64v2, platform: amd64Platform },
      { image: arm64v2, platform: arm64Platform },
    ], { docker: true });
    const third = await check(project, home);
    const changed = image(third.report, tag);
    assert.equal(changed.status, 'outdated');
    assert.equal(changed.base?.latest, index3.digest);
    assert.equal(dockerfileBase(third.report, path.join(project, 'Dockerfile')).status, 'outdated');
  });

  it('compares a base with no registry digest (docker load) by config and says so, without claiming upstream changed', async () => {
    const baseRef = `${registry}/${uniqueName('loaded')}:1`;
    const v1 = await makeBaseImage({ ref: baseRef, files: { '/etc/patch-level': '1\n' } });
    await pushImage(baseRef);
    // The same image as upstream's, but loaded from a tar file: Docker keeps no RepoDigest for it.
    const saved = path.join(await makeTempDir('saved'), 'base.tar');
    await docker(['save', '-o', saved, baseRef]);
    await docker(['image', 'rm', baseRef]);
    await docker(['load', '-i', saved]);
    const loaded = await inspectImage(baseRef);
    assert.equal(loaded.Id, v1);
    // The classic store keeps no RepoDigest for a loaded image. The containerd store names it by
    // its own manifest digest at once: the digest the push gave it, so it is compared by digest.
    const containerd = await usesContainerdStore();
    const repository = baseRef.replace(/:[^:/]*$/, '');
    assert.deepEqual(loaded.RepoDigests, containerd ? [`${repository}@${v1}`] : [], 'RepoDigests of a loaded image');
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
    const tag = `${uniqueName('onloaded')}:1`;
    await buildImage({ context: project, tag });
    const home = path.join(project, '.home');
    const platform = `${loaded.Os}/${loaded.Architecture}`;
    const how = '(compared by config; no registry digest is known for the local base)';

    const same = await check(project, home, ['--exit-code', tag]);
    assert.equal(same.code, 0, same.stdout);
    const app = image(same.report, tag);
    assert.equal(app.base?.digest, containerd ? v1 : null);
    assert.equal(app.status, 'current');
    assert.equal(app.reason, containerd ? 'upstream digest unchanged' : `matches upstream for ${platform} ${how}`);
    const base = dockerfileBase(same.report, path.join(project, 'Dockerfile'));
    assert.equal(base.local, containerd ? v1 : null);
    assert.equal(base.status, 'current');
    assert.equal(base.reason, containerd ? 'upstream digest unchanged' : `matches upstream for ${platform} ${how}`);

    // Upstream publishes a new image under the tag: still compared by config, now outdated.
    await makeBaseImage({ ref: baseRef, files: { '/etc/patch-level': '2\n' } });
    const newDigest = await pushImage(baseRef);
    await docker(['tag', v1, baseRef]);
    const moved = await check(project, home, ['--exit-code', tag]);
    assert.equal(moved.code, 1, moved.stdout);
    assert.equal(image(moved.report, tag).status, 'outdated');
    assert.equal(image(moved.report, tag).base?.latest, newDigest);
    assert.equal(image(moved.report, tag).reason, containerd ? 'upstream has a new image for this platform' : `upstream has another image for ${platform} ${how}`);
    assert.equal(dockerfileBase(moved.report, path.join(project, 'Dockerfile')).status, 'outdated');
  });

  it('does not call an image current when its base label names a tag that has since moved locally', async () => {
    // The app was built on v1 and says so by name only (no base digest label). Then the local tag
    // moved to v2 (built here, or pulled), and v2 is what upstream has. The app still sits on v1.
    const baseRef = `${registry}/${uniqueName('moved')}:1`;
    await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v1\n' } });
    const project = await writeProject({
      Dockerfile: `FROM ${baseRef}\nLABEL org.opencontainers.image.base.name=${baseRef}\nCOPY app.txt /app.txt\n`,
      'app.txt': 'app\n',
    });
    const tag = `${uniqueName('onold')}:1`;
    await buildImage({ context: project, tag });
    const v2 = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v2\n' } });
    const v2Digest = await pushImage(baseRef);
    const app = await inspectImage(tag);
    const v2Layers = (await inspectImage(v2)).RootFS.Layers;
    assert.notDeepEqual(app.RootFS.Layers.slice(0, v2Layers.length), v2Layers, 'fixture: the app is not on v2');
    const home = path.join(project, '.home');

    const { code, report, stdout } = await check(project, home, ['--exit-code', tag]);
    const entry = image(report, tag);
    assert.notEqual(entry.status, 'current', stdout);
    assert.equal(entry.base?.latest, v2Digest);
    assert.match(entry.reason, new RegExp(`local ${baseRef.replace(/[.:]/g, '\\$&')} is another image`));
    if (await usesContainerdStore()) {
      // The containerd store still holds v1, nameless, by its manifest digest: linked by layers,
      // and compared by config, v1 is behind upstream's v2.
      assert.equal(entry.status, 'outdated', stdout);
      assert.equal(code, 1);
    } else {
      // Nothing local holds v1 under the label's name any more: what it was built on is unknown.
      assert.equal(entry.status, 'unknown', stdout);
      assert.equal(entry.base?.digest, null);
      assert.match(entry.reason, /the digest it was built on is not known/);
      assert.equal(code, 0, 'unknown is no alarm');
    }
    // The Dockerfile itself would build on v2: that is current.
    assert.equal(dockerfileBase(report, path.join(project, 'Dockerfile')).status, 'current');

    // An app built on v2 with the same label is current: the tag still holds its base.
    const fresh = `${uniqueName('onnew')}:1`;
    await buildImage({ context: project, tag: fresh });
    const again = await check(project, home, [fresh]);
    assert.equal(image(again.report, fresh).status, 'current', again.stdout);
  });

  it('links a label-named base whose tag moved to the old image still held by digest, and says outdated', async () => {
    const baseRef = `${registry}/${uniqueName('pulled')}:1`;
    const v1 = await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v1\n' } });
    const v1Digest = await pushImage(baseRef);
    const project = await writeProject({
      Dockerfile: `FROM ${baseRef}\nLABEL org.opencontainers.image.base.name=${baseRef}\nCOPY app.txt /app.txt\n`,
      'app.txt': 'app\n',
    });
    const tag = `${uniqueName('onpulled')}:1`;
    await buildImage({ context: project, tag });
    // The user pulls the patched base: the tag moves, v1 stays as <none>:<none> with its RepoDigest.
    await makeBaseImage({ ref: baseRef, files: { '/etc/base-version': 'v2\n' } });
    const v2Digest = await pushImage(baseRef);
    assert.deepEqual((await inspectImage(v1)).RepoTags, [], 'fixture: v1 lost its tag');

    const { code, report, stdout } = await check(project, path.join(project, '.home'), ['--exit-code', tag]);
    const entry = image(report, tag);
    assert.equal(entry.status, 'outdated', stdout);
    assert.equal(entry.base?.digest, v1Digest);
    assert.equal(entry.base?.latest, v2Digest);
    assert.equal(code, 1);
  });

  it('proposes a newer version tag of the same flavour beside the digest state', async () => {
    const repository = uniqueName('py');
    const pusher: Pusher = { url: `http://${registry}` };
    for (const tag of ['3.11-slim', '3.12-slim', '3.13-slim', '3.13-alpine', '3.14-rc-slim']) {
      await pushRawImage(pusher, repository, tag, { seed: tag, docker: true });
    }
    const project = await writeProject({ Dockerfile: `FROM ${registry}/${repository}:3.12-slim\n` });
    const { report, stdout } = await check(project, path.join(project, '.home'), [uniqueName('no-such-image')]);
    const base = report.dockerfiles[0]?.bases[0] as BaseEntry & { newer: Array<{ tag: string; kind: string }> | null };
    assert.deepEqual(base.newer, [{ tag: '3.13-slim', kind: 'minor' }], stdout);
    const human = await runBasewatch(['check', '--root', project, uniqueName('no-such-image')], { home: path.join(project, '.home') });
    assert.match(human.stdout, /newer: 3\.13-slim \(minor\)/);
  });

  it('reports an unreachable registry as an error that names it, and still checks the rest', async () => {
    const port = await closedPort();
    const goodRef = `${registry}/${uniqueName('fine')}:1`;
    await makeBaseImage({ ref: goodRef });
    await pushImage(goodRef);
    const project = await writeProject({
      'down/Dockerfile': `FROM 127.0.0.1:${port}/gone/base:1\n`,
      'up/Dockerfile': `FROM ${goodRef}\n`,
    });
    const tag = `${uniqueName('claims')}:1`;
    const labelled = await writeProject({
      Dockerfile: `FROM ${goodRef}\nLABEL org.opencontainers.image.base.name=127.0.0.1:${port}/gone/base:1\n`,
    });
    await buildImage({ context: labelled, tag });

    const { code, report } = await check(project, path.join(project, '.home'), [tag]);
    assert.equal(code, 5, 'exit 5: some upstream checks failed');
    assert.deepEqual(report.images.map((entry) => entry.name), [tag], 'only the named image is reported');
    const down = dockerfileBase(report, path.join(project, 'down/Dockerfile'));
    assert.equal(down.status, 'error');
    assert.ok(down.reason.includes(`127.0.0.1:${port}`), down.reason);
    assert.equal(dockerfileBase(report, path.join(project, 'up/Dockerfile')).status, 'current');
    const claims = image(report, tag);
    assert.equal(claims.status, 'error');
    assert.ok(claims.reason.includes(`127.0.0.1:${port}`), claims.reason);
  });
});
