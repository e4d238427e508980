import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeThreeWay, rebaseConfig } from './rebase-config.js';

const L = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;
const h = (by: string, empty = false) => ({ created: '2026-01-01T00:00:00Z', created_by: by, ...(empty ? { empty_layer: true } : {}) });

const oldBase = {
  architecture: 'amd64',
  os: 'linux',
  config: {
    Env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'PY_VERSION=3.12.1', 'GONE=1'],
    Cmd: ['python3'],
    Labels: { 'org.opencontainers.image.version': '3.12.1', vendor: 'py' },
    WorkingDir: '',
  },
  rootfs: { type: 'layers', diff_ids: [L(1), L(2)] },
  history: [h('ADD rootfs'), h('RUN install python'), h('CMD ["python3"]', true)],
};
const newBase = {
  architecture: 'amd64',
  os: 'linux',
  config: {
    Env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'PY_VERSION=3.12.2', 'NEWVAR=yes'],
    Cmd: ['python3.12'],
    Labels: { 'org.opencontainers.image.version': '3.12.2', vendor: 'py' },
  },
  rootfs: { type: 'layers', diff_ids: [L(11), L(12), L(13)] },
  history: [h('ADD rootfs v2'), h('RUN install python'), h('RUN patch'), h('CMD ["python3.12"]', true)],
};
const app = {
  architecture: 'amd64',
  os: 'linux',
  created: '2026-02-02T00:00:00Z',
  unknownField: { kept: true },
  config: {
    Env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'PY_VERSION=3.12.1', 'GONE=1', 'APP_MODE=prod'],
    Cmd: ['python3'],
    Entrypoint: ['/app/run'],
    User: 'app',
    WorkingDir: '/app',
    ExposedPorts: { '8080/tcp': {} },
    Labels: { 'org.opencontainers.image.version': '3.12.1', vendor: 'py', team: 'web' },
    Image: 'sha256:oldbaseid',
  },
  rootfs: { type: 'layers', diff_ids: [L(1), L(2), L(3)] },
  history: [...oldBase.history, h('COPY . /app'), h('ENTRYPOINT ["/app/run"]', true)],
};

function run(overrides: { app?: object; oldBase?: object; newBase?: object; force?: boolean } = {}) {
  return rebaseConfig({
    appConfig: Buffer.from(JSON.stringify(overrides.app ?? app)),
    oldBaseConfig: Buffer.from(JSON.stringify(overrides.oldBase ?? oldBase)),
    newBaseConfig: Buffer.from(JSON.stringify(overrides.newBase ?? newBase)),
    oldBaseId: 'sha256:oldbaseid',
    newBaseId: 'sha256:newbaseid',
    newBaseRef: 'docker.io/library/python:3.12-slim',
    newBaseDigest: `sha256:${'d'.repeat(64)}`,
    force: overrides.force ?? false,
  });
}

describe('rebaseConfig', () => {
  it('puts the app layers and history on the new base and merges settings three ways', () => {
    const result = run();
    assert.ok(result.ok, JSON.stringify(result));
    const config = JSON.parse(result.value.configBytes.toString()) as typeof app & { history: unknown[] };
    assert.deepEqual(config.rootfs.diff_ids, [L(11), L(12), L(13), L(3)]);
    assert.deepEqual(result.value.diffIds, config.rootfs.diff_ids);
    assert.equal(result.value.oldBaseLayerCount, 2);
    assert.deepEqual(config.history, [...newBase.history, h('COPY . /app'), h('ENTRYPOINT ["/app/run"]', true)]);
    // Inherited values follow the new base; the app's own stay; dropped base vars go.
    assert.deepEqual(config.config.Env, ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'PY_VERSION=3.12.2', 'NEWVAR=yes', 'APP_MODE=prod']);
    // The app set ENTRYPOINT, so its CMD is its own (docker build resets an inherited one).
    assert.deepEqual(config.config.Cmd, ['python3']);
    assert.deepEqual(config.config.Entrypoint, ['/app/run']);
    assert.equal(config.config.User, 'app');
    assert.equal(config.config.WorkingDir, '/app');
    assert.deepEqual(config.config.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(config.config.Labels, {
      'org.opencontainers.image.version': '3.12.2',
      vendor: 'py',
      team: 'web',
      'org.opencontainers.image.base.name': 'docker.io/library/python:3.12-slim',
      'org.opencontainers.image.base.digest': `sha256:${'d'.repeat(64)}`,
    });
    assert.equal(config.config.Image, 'sha256:newbaseid');
    assert.deepEqual(config.unknownField, { kept: true });
    assert.equal(config.created, '2026-02-02T00:00:00Z');
  });

  it('lets an inherited CMD follow the new base when the app set no ENTRYPOINT', () => {
    const plain = { ...app, config: { ...app.config, Entrypoint: undefined } };
    const result = run({ app: plain });
    assert.ok(result.ok);
    assert.deepEqual((JSON.parse(result.value.configBytes.toString()) as typeof app).config.Cmd, ['python3.12']);
  });

  it('refuses when the old base is not the bottom of the image', () => {
    const result = run({ app: { ...app, rootfs: { type: 'layers', diff_ids: [L(1), L(9), L(3)] } } });
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.refusals[0]?.message ?? '', /differ at layer 2/);
  });

  it('refuses when the histories disagree or the platforms differ', () => {
    const history = run({ app: { ...app, history: [h('something else'), ...app.history.slice(1)] } });
    assert.ok(!history.ok, 'histories that disagree are refused');
    assert.ok(history.refusals.some((r) => r.kind === 'history'), JSON.stringify(history.refusals));
    const platform = run({ newBase: { ...newBase, architecture: 'arm64', variant: 'v8' } });
    assert.ok(!platform.ok, 'a platform change is refused');
    assert.ok(platform.refusals.some((r) => r.message === 'platforms differ: image linux/amd64, old base linux/amd64, new base linux/arm64/v8'), JSON.stringify(platform.refusals));
  });

  it('refuses an ENV that extends a base value the new base changes', () => {
    const extendedApp = { ...app, config: { ...app.config, Env: ['PATH=/app/bin:/usr/bin:/bin', 'LANG=C.UTF-8'] } };
    const changedPath = { ...newBase, config: { ...newBase.config, Env: ['PATH=/usr/local/bin:/usr/bin:/bin'] } };
    const result = run({ app: extendedApp, newBase: changedPath });
    assert.ok(!result.ok);
    if (!result.ok) assert.equal(result.refusals[0]?.message, 'ENV PATH was built from a base value that the new base changes: rebuild instead');
    // Unchanged in the new base: the app's extension is still right.
    assert.ok(run({ app: extendedApp }).ok);
  });

  it('refuses an ENV built from another base variable that changes', () => {
    const javaApp = { ...app, config: { ...app.config, Env: [...app.config.Env, 'APP_DIR=/opt/py-3.12.1/app'] } };
    const oldJava = { ...oldBase, config: { ...oldBase.config, Env: [...oldBase.config.Env, 'PY_HOME=/opt/py-3.12.1'] } };
    const newJava = { ...newBase, config: { ...newBase.config, Env: [...newBase.config.Env, 'PY_HOME=/opt/py-3.12.2'] } };
    const result = run({ app: javaApp, oldBase: oldJava, newBase: newJava });
    assert.ok(!result.ok, JSON.stringify(result));
    assert.ok(result.refusals.some((r) => r.message.startsWith('ENV APP_DIR was built from a base value')), JSON.stringify(result));
  });

  it('keeps the app CMD when it set ENTRYPOINT, and merges EXPOSE and VOLUME key by key', () => {
    const entryApp = { ...app, config: { ...app.config, Cmd: null, ExposedPorts: { '80/tcp': {}, '8080/tcp': {} } } };
    const portsOld = { ...oldBase, config: { ...oldBase.config, Cmd: null, ExposedPorts: { '80/tcp': {} } } };
    const portsNew = { ...newBase, config: { ...newBase.config, ExposedPorts: { '443/tcp': {} }, Volumes: { '/data': {} } } };
    const result = run({ app: entryApp, oldBase: portsOld, newBase: portsNew });
    assert.ok(result.ok, JSON.stringify(result));
    const config = (JSON.parse(result.value.configBytes.toString()) as { config: Record<string, unknown> }).config;
    assert.equal(config['Cmd'], null, 'docker build resets CMD when the Dockerfile sets ENTRYPOINT');
    assert.deepEqual(config['ExposedPorts'], { '443/tcp': {}, '8080/tcp': {} });
    assert.deepEqual(config['Volumes'], { '/data': {} });
  });

  it('updates buildpacks metadata and honours io.buildpacks.rebasable', () => {
    const metadata = JSON.stringify({ runImage: { topLayer: L(2), reference: 'x@sha256:old', image: 'paketo/run:base' }, buildpacks: [] });
    const bpApp = { ...app, config: { ...app.config, Labels: { ...app.config.Labels, 'io.buildpacks.lifecycle.metadata': metadata } } };
    const result = run({ app: bpApp });
    assert.ok(result.ok);
    const labels = (JSON.parse(result.value.configBytes.toString()) as typeof app).config.Labels as Record<string, string>;
    const runImage = (JSON.parse(labels['io.buildpacks.lifecycle.metadata'] ?? '{}') as { runImage: Record<string, string> }).runImage;
    assert.deepEqual(runImage, { topLayer: L(13), reference: `docker.io/library/python:3.12-slim@sha256:${'d'.repeat(64)}`, image: 'paketo/run:base' });

    const locked = { ...bpApp, config: { ...bpApp.config, Labels: { ...bpApp.config.Labels, 'io.buildpacks.rebasable': 'false' } } };
    assert.ok(!run({ app: locked }).ok);
    assert.ok(run({ app: locked, force: true }).ok);
  });

  it('reports a config that is not JSON', () => {
    const result = rebaseConfig({
      appConfig: Buffer.from('{'),
      oldBaseConfig: Buffer.from(JSON.stringify(oldBase)),
      newBaseConfig: Buffer.from(JSON.stringify(newBase)),
      oldBaseId: 'a',
      newBaseId: 'b',
      newBaseRef: 'r',
      newBaseDigest: 'd',
      force: false,
    });
    assert.ok(!result.ok, 'an app config that is not JSON is refused');
    assert.match(result.refusals[0]?.message ?? '', /image config is not JSON/);
  });
});

describe('mergeThreeWay', () => {
  it('keeps app overrides, follows inherited values, adds and drops base keys', () => {
    const m = (o: Record<string, string>) => new Map(Object.entries(o));
    const { merged, extended } = mergeThreeWay(m({ A: '1', B: 'mine', C: 'x', D: 'app' }), m({ A: '1', B: 'old', C: 'x' }), m({ A: '2', B: 'new', E: 'e' }));
    assert.deepEqual([...merged], [['A', '2'], ['B', 'mine'], ['E', 'e'], ['D', 'app']]);
    assert.deepEqual(extended, []);
  });
});
