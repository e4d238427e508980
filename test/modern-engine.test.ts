// Smoke test of the test world's modern engine (Engine 28, one dockerd per image store): if
// this fails, a failure of a suite run with --engine=modern-… is suspect. It uses the engine
// API, the registry's HTTP API and the docker CLI, as world.test.ts does for the primary engine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineJson, parseDockerHost } from './world/engine-api.js';
import { runChecked } from './world/process.js';
import {
  type ModernStore,
  docker,
  getWorld,
  inspectImage,
  makeBaseImage,
  makeTempDir,
  modernEngineHost,
  modernEngineSkip,
  pushImage,
  uniqueName,
  writeProject,
} from './helpers/world.js';

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface EngineInfo {
  ServerVersion: string;
  Driver: string;
  DriverStatus: Array<[string, string]> | null;
}

const on = (store: ModernStore) => ({ env: { DOCKER_HOST: modernEngineHost(store) } });
const other = (store: ModernStore): ModernStore => (store === 'containerd' ? 'classic' : 'containerd');

describe('modern engine', { skip: modernEngineSkip() }, () => {
  it('runs Engine 28 with the containerd image store on one socket and the classic store on another', async () => {
    const containerd = await engineJson<EngineInfo>(parseDockerHost(modernEngineHost('containerd')), '/info');
    const classic = await engineJson<EngineInfo>(parseDockerHost(modernEngineHost('classic')), '/info');
    assert.match(containerd.ServerVersion, /^28\./);
    assert.match(classic.ServerVersion, /^28\./);
    assert.deepEqual(
      containerd.DriverStatus?.find(([key]) => key === 'driver-type'),
      ['driver-type', 'io.containerd.snapshotter.v1'],
    );
    assert.equal(classic.Driver, 'overlay2');
    assert.equal(classic.DriverStatus?.find(([key]) => key === 'driver-type'), undefined);
  });

  for (const store of ['containerd', 'classic'] as const) {
    it(`${store} store: an imported base and an app built FROM it go through the shared registry to the other store and the test engine`, async () => {
      const world = getWorld();
      assert.ok(world);
      const baseRepo = uniqueName(`modern-${store}-base`);
      const baseRef = `${world.registry}/${baseRepo}:1`;
      await makeBaseImage({ ref: baseRef, files: { '/etc/made-on': `${store}\n` }, dockerHost: modernEngineHost(store) });
      const baseDigest = await pushImage(baseRef, on(store));

      // The tests reach the registry at the same address the engine pushed to.
      const head = await fetch(`http://${world.registry}/v2/${baseRepo}/manifests/1`, {
        method: 'HEAD',
        headers: { Accept: MANIFEST_ACCEPT },
      });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('docker-content-digest'), baseDigest);

      const base = await inspectImage(baseRef, on(store));
      assert.ok(base.RepoDigests.includes(`${world.registry}/${baseRepo}@${baseDigest}`), String(base.RepoDigests));
      // What sets the stores apart for an API client: the containerd store's image id is the
      // manifest digest, the classic store's the config digest.
      if (store === 'containerd') assert.equal(base.Id, baseDigest);
      else assert.notEqual(base.Id, baseDigest);

      const project = await writeProject({
        Dockerfile: `FROM ${baseRef}\nCOPY hello.txt /app/hello.txt\nRUN cat /etc/made-on /app/hello.txt > /app/both\n`,
        'hello.txt': `built on ${store}\n`,
      });
      const appRepo = uniqueName(`modern-${store}-app`);
      const appRef = `${world.registry}/${appRepo}:1`;
      await docker(['build', '-t', appRef, project], { cwd: project, ...on(store) });
      const appDigest = await pushImage(appRef, on(store));

      const pulled = await docker(['pull', `${world.registry}/${appRepo}@${appDigest}`], on(other(store)));
      assert.match(pulled, new RegExp(`Digest: ${appDigest}`));
      const out = await docker(['run', '--rm', '--network', 'none', `${world.registry}/${appRepo}@${appDigest}`, 'cat', '/app/both'], on(other(store)));
      assert.equal(out, `${store}\nbuilt on ${store}\n`);

      // The test engine (the primary one unless the run chose another) pulls from the same address.
      await docker(['pull', appRef]);
      const onTestEngine = await inspectImage(appRef);
      assert.ok(onTestEngine.RepoDigests.includes(`${world.registry}/${appRepo}@${appDigest}`), String(onTestEngine.RepoDigests));
    });
  }

  it('containerd store: docker save writes an OCI layout (index.json, oci-layout) with manifest.json', async () => {
    const world = getWorld();
    assert.ok(world);
    const ref = `${world.registry}/${uniqueName('modern-save')}:1`;
    await makeBaseImage({ ref, dockerHost: modernEngineHost('containerd') });
    const dir = await makeTempDir('modern-save');
    await docker(['save', '-o', `${dir}/image.tar`, ref], on('containerd'));
    const entries = (await runChecked('tar', ['-tf', `${dir}/image.tar`])).split('\n');
    for (const entry of ['index.json', 'oci-layout', 'manifest.json']) assert.ok(entries.includes(entry), `${entry} in ${entries.join(' ')}`);
    assert.ok(!entries.includes('repositories'), 'no legacy repositories file');
  });
});
