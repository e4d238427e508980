import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readBuildLinks, saveBuildLink } from '../../record/build-links.js';
import { classifyTarget, resolveBuildSource } from './build-source.js';

const roots: string[] = [];
after(async () => {
  for (const root of roots) await fs.rm(root, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-source-'));
  roots.push(root);
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fs.writeFile(path.join(root, name), content);
  }
  return root;
}

const COMPOSE = [
  'services:',
  '  web:',
  '    image: shop/web:${TAG:-1}',
  '    build:',
  '      context: ./web',
  '      dockerfile: web.Dockerfile',
  '      target: runtime',
  '      args: { MODE: prod }',
  '  worker:',
  '    build: ./worker',
  '  db:',
  '    image: postgres:16',
  '',
].join('\n');

describe('resolveBuildSource', () => {
  it('classifies compose service targets by their #', () => {
    assert.deepEqual(classifyTarget('ops/compose.yaml#web'), { kind: 'compose-service', file: 'ops/compose.yaml', service: 'web' });
    assert.deepEqual(classifyTarget('app:1'), { kind: 'path-or-image' });
  });

  it('finds a compose service by file#service, by bare name, and by the image it builds', async () => {
    const root = await tree({ 'compose.yaml': COMPOSE, '.env': 'TAG=7\n', 'web/web.Dockerfile': 'FROM x\n', 'worker/Dockerfile': 'FROM y\n' });
    const deps = { engine: null, buildLinks: { ok: true as const, links: [] }, roots: [root], cwd: root, env: {} };
    const web = await resolveBuildSource(deps, 'compose.yaml#web');
    assert.ok(web.ok);
    assert.deepEqual(web.spec, {
      dockerfile: path.join(root, 'web/web.Dockerfile'),
      context: path.join(root, 'web'),
      target: 'runtime',
      buildArgs: { MODE: 'prod' },
      image: 'shop/web:7',
      tags: [],
      compose: path.join(root, 'compose.yaml'),
      service: 'web',
    });
    const byImage = await resolveBuildSource(deps, 'shop/web:7');
    assert.ok(byImage.ok, JSON.stringify(byImage));
    assert.equal(byImage.via, 'compose');
    assert.equal(byImage.spec.service, 'web');
    assert.equal(byImage.spec.image, 'shop/web:7');
    const byName = await resolveBuildSource(deps, 'worker');
    assert.ok(byName.ok, JSON.stringify(byName));
    assert.equal(byName.spec.image, `${path.basename(root).toLowerCase()}-worker:latest`, JSON.stringify(byName));
    const db = await resolveBuildSource(deps, `${root}/compose.yaml#db`);
    assert.deepEqual(db, { ok: false, message: `${path.join(root, 'compose.yaml')}#db has no build: section; it uses postgres:16 as it is` });
  });

  it('prefers a recorded link, finds it from the Dockerfile too, and says how to link when nothing is known', async () => {
    const root = await tree({ 'app/Dockerfile': 'FROM x\n' });
    const stateDir = path.join(root, 'state');
    let deps = { engine: null, buildLinks: await readBuildLinks(stateDir), roots: [root], cwd: root, env: {} };
    const missing = await resolveBuildSource(deps, 'app:1');
    assert.equal(missing.ok, false);
    assert.match(!missing.ok ? missing.message : '', /cannot tell how app:1 is built: .*basewatch link app:1 <Dockerfile>/);
    const dockerfile = path.join(root, 'app/Dockerfile');
    assert.deepEqual(await saveBuildLink(stateDir, { image: 'docker.io/library/app:1', dockerfile, context: root, target: null, buildArgs: { A: '1' }, linkedAt: 'now' }), { ok: true });
    deps = { ...deps, buildLinks: await readBuildLinks(stateDir) };
    const linked = await resolveBuildSource(deps, 'app:1');
    assert.ok(linked.ok, JSON.stringify(linked));
    assert.equal(linked.via, 'link');
    assert.deepEqual(linked.spec, { dockerfile, context: root, target: null, buildArgs: { A: '1' }, image: 'app:1', tags: [], compose: null, service: null });
    const fromFile = await resolveBuildSource(deps, 'app/Dockerfile');
    assert.ok(fromFile.ok, JSON.stringify(fromFile));
    assert.equal(fromFile.spec.image, 'app:1');
  });
});
