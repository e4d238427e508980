import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findProjectFiles, projectFileKind } from './find-project-files.js';

describe('projectFileKind', () => {
  const table: Array<[string, string | null]> = [
    ['Dockerfile', 'dockerfile'],
    ['dockerfile', 'dockerfile'],
    ['Containerfile', 'dockerfile'],
    ['Dockerfile.dev', 'dockerfile'],
    ['api.Dockerfile', 'dockerfile'],
    ['Dockerfile.dockerignore', null],
    ['api.Dockerfile.dockerignore', null],
    ['Dockerfile~', null],
    ['Dockerfile.md', null],
    ['.Dockerfile', null],
    ['Dockerfiles', null],
    ['compose.yaml', 'compose'],
    ['docker-compose.yml', 'compose'],
    ['compose.override.yml', 'compose'],
    ['compose.json', null],
  ];
  for (const [name, kind] of table) it(`${name} -> ${kind}`, () => assert.equal(projectFileKind(name), kind));
});

describe('findProjectFiles', () => {
  it('finds files recursively, skips dependency folders, reports unreadable ones', async (t) => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-find-'));
    const write = async (rel: string): Promise<void> => {
      await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await fs.writeFile(path.join(root, rel), 'FROM scratch\n');
    };
    await write('Dockerfile');
    await write('svc/api.Dockerfile');
    await write('svc/compose.yaml');
    await write('.devcontainer/Dockerfile');
    await write('node_modules/pkg/Dockerfile');
    await write('.git/Dockerfile');
    await fs.symlink(root, path.join(root, 'svc', 'loop'));
    const locked = path.join(root, 'locked');
    await fs.mkdir(locked);
    await fs.chmod(locked, 0o000);
    t.after(async () => {
      await fs.chmod(locked, 0o755);
      await fs.rm(root, { recursive: true, force: true });
    });

    const found = await findProjectFiles([root, path.join(root, 'missing')]);
    assert.deepEqual(found.dockerfiles, [
      path.join(root, '.devcontainer/Dockerfile'),
      path.join(root, 'Dockerfile'),
      path.join(root, 'svc/api.Dockerfile'),
    ]);
    assert.deepEqual(found.composeFiles, [path.join(root, 'svc/compose.yaml')]);
    const messages = found.errors.map((e) => `${e.where}: ${e.message}`);
    assert.ok(messages.some((m) => m.startsWith(`${path.join(root, 'missing')}: cannot read root: no such file`)), messages.join('\n'));
    // root can read anything; the permission error only shows for ordinary users.
    if (process.getuid?.() !== 0) {
      assert.ok(messages.some((m) => m.startsWith(`${locked}: cannot read folder: permission denied`)), messages.join('\n'));
    }
  });
});
