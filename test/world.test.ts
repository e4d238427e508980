// Smoke test of the test world itself: if this fails, every integration test's failure is
// suspect. It uses only the helpers, the registry's HTTP API and the docker CLI.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  TEST_LABEL,
  buildImage,
  docker,
  getWorld,
  inspectImage,
  makeBaseImage,
  pushImage,
  skipWithoutWorld,
  uniqueName,
  writeProject,
} from './helpers/world.js';
import { usesContainerdStore } from './helpers/engine-store.js';
import { DOCKER_MANIFEST, MANIFEST_ACCEPT, OCI_MANIFEST } from './registry-content.js';

// Skipping each test (not the suite) makes the skips show in the run's "skipped" count.
const skip = skipWithoutWorld();

describe('test world', () => {
  let baseRepo = '';
  let baseRef = '';
  let baseId = '';

  before(async () => {
    const world = getWorld();
    if (!world) return;
    baseRepo = uniqueName('smoke-base');
    baseRef = `${world.registry}/${baseRepo}:1`;
    baseId = await makeBaseImage({
      ref: baseRef,
      env: { GREETING: 'hello from base' },
      labels: { 'org.example.flavour': 'smoke' },
      dpkg: [{ name: 'libssl3', version: '3.0.15-1~deb12u1', source: 'openssl' }],
      files: { '/etc/motd': 'smoke\n' },
    });
  });

  it('makes a labelled base image with the requested config', { skip }, async () => {
    assert.match(baseId, /^sha256:[0-9a-f]{64}$/);
    const base = await inspectImage(baseRef);
    assert.equal(base.Id, baseId);
    assert.equal(base.RootFS.Layers.length, 1);
    assert.equal(base.Config.Labels?.[TEST_LABEL], '1');
    assert.equal(base.Config.Labels?.['org.example.flavour'], 'smoke');
    assert.ok(base.Config.Env?.includes('GREETING=hello from base'), String(base.Config.Env));
    assert.deepEqual(base.Config.Cmd, ['/bin/sh']);
  });

  it('pushes the base; the registry serves its manifest under the pushed digest', { skip }, async () => {
    const world = getWorld();
    assert.ok(world);
    const digest = await pushImage(baseRef);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);

    const response = await fetch(`http://${world.registry}/v2/${baseRepo}/manifests/1`, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_ACCEPT },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('docker-content-digest'), digest);
    // The containerd store pushes the OCI manifest it keeps; the classic store converts to Docker v2.
    assert.equal(response.headers.get('content-type'), (await usesContainerdStore()) ? OCI_MANIFEST : DOCKER_MANIFEST);

    const base = await inspectImage(baseRef);
    assert.ok(base.RepoDigests.includes(`${world.registry}/${baseRepo}@${digest}`), String(base.RepoDigests));
  });

  it('builds an app FROM the base with docker build; its layers start with the base layers', { skip }, async () => {
    const project = await writeProject({
      Dockerfile: `FROM ${baseRef}\nCOPY hello.txt /app/hello.txt\nCMD ["cat", "/app/hello.txt"]\n`,
      'hello.txt': 'hello from app\n',
    });
    const appTag = `${uniqueName('smoke-app')}:latest`;
    const appId = await buildImage({ context: project, tag: appTag });

    const [app, base] = await Promise.all([inspectImage(appTag), inspectImage(baseRef)]);
    assert.equal(app.Id, appId);
    assert.notEqual(appId, baseId);
    assert.equal(app.RootFS.Layers.length, base.RootFS.Layers.length + 1);
    assert.deepEqual(app.RootFS.Layers.slice(0, base.RootFS.Layers.length), base.RootFS.Layers);
    assert.equal(app.Config.Labels?.[TEST_LABEL], '1', 'fixture label is inherited');
  });

  it('runs a container of an app image: busybox, the copied file and the dpkg database are there', { skip }, async () => {
    const project = await writeProject({
      Dockerfile: `FROM ${baseRef}\nCOPY hello.txt /app/hello.txt\n`,
      'hello.txt': 'hello from app\n',
    });
    const appTag = `${uniqueName('smoke-run')}:latest`;
    await buildImage({ context: project, tag: appTag });
    const out = await docker([
      'run', '--rm', '--network', 'none', appTag,
      'sh', '-c', 'cat /app/hello.txt; grep -A9 "^Package: libssl3" /var/lib/dpkg/status | grep ^Version; . /etc/os-release; echo "$ID $VERSION_ID"',
    ]);
    assert.equal(out, 'hello from app\nVersion: 3.0.15-1~deb12u1\ndebian 12\n');
  });
});
