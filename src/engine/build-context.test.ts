import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findIgnoreFile, listContextEntries, packBuildContext, parseIgnoreRules } from './build-context.js';
import { readTarFiles } from './tar-files.js';

const execFileAsync = promisify(execFile);
const roots: string[] = [];
after(async () => {
  for (const root of roots) await fs.rm(root, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-context-'));
  roots.push(root);
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await fs.writeFile(path.join(root, name), content);
  }
  return root;
}

describe('ignore rules (moby patternmatcher semantics)', () => {
  it('a pattern on a folder excludes what is under it; ! brings a file back; ** spans folders', () => {
    const rules = parseIgnoreRules('# comment\nnode_modules\n/secrets\n**/*.log\ndocs/*\n!docs/keep.md\n');
    assert.equal(rules.hasExceptions, true);
    assert.equal(rules.ignores('node_modules/x/index.js'), true);
    assert.equal(rules.ignores('secrets/key'), true);
    assert.equal(rules.ignores('a/b/debug.log'), true);
    assert.equal(rules.ignores('docs/other.md'), true);
    assert.equal(rules.ignores('docs/keep.md'), false);
    assert.equal(rules.ignores('src/Node_modules'), false, 'case-sensitive, as Docker on Linux');
  });

  it('walks only what is not excluded, and into an excluded folder only for an exception', async () => {
    const root = await tree({ 'a.txt': '', 'cache/big': '', 'docs/keep.md': '', 'docs/drop.md': '', 'src/x.ts': '' });
    assert.deepEqual(await listContextEntries(root, parseIgnoreRules('cache\ndocs\n!docs/keep.md\n')), ['a.txt', 'docs/keep.md', 'src', 'src/x.ts']);
    assert.deepEqual(await listContextEntries(root, null), ['a.txt', 'cache', 'cache/big', 'docs', 'docs/drop.md', 'docs/keep.md', 'src', 'src/x.ts']);
    // moby's walk: an exception that does not name a path under the folder does not open it.
    assert.deepEqual(await listContextEntries(root, parseIgnoreRules('cache\ndocs\n!**/keep.md\n')), ['a.txt', 'src', 'src/x.ts']);
    assert.deepEqual(await listContextEntries(root, parseIgnoreRules('docs/*\n!**/keep.md\n')), ['a.txt', 'cache', 'cache/big', 'docs', 'docs/keep.md', 'src', 'src/x.ts']);
  });

  it('a pattern Docker rejects fails the pack, naming the ignore file', async () => {
    const root = await tree({ '.dockerignore': 'ok\n[z\n', Dockerfile: 'FROM x\n' });
    await assert.rejects(packBuildContext({ dir: root, dockerfile: 'Dockerfile' }), {
      name: 'IgnorePatternError',
      message: `${path.join(root, '.dockerignore')}: pattern "[z": syntax error in pattern (docker build rejects it too)`,
    });
  });

  it('an ignore file that is a FIFO, or links to /dev/zero, fails the pack at once, naming it', async () => {
    for (const make of [
      (file: string) => execFileAsync('mkfifo', [file]),
      (file: string) => fs.symlink('/dev/zero', file),
    ]) {
      const root = await tree({ Dockerfile: 'FROM x\n' });
      const ignoreFile = path.join(root, '.dockerignore');
      await make(ignoreFile);
      const started = Date.now();
      await assert.rejects(packBuildContext({ dir: root, dockerfile: 'Dockerfile' }), (error: Error) => {
        assert.equal(error.name, 'UnreadableFileError');
        assert.match(error.message, new RegExp(`^${ignoreFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is (a FIFO|a symbolic link to a character device)`));
        return true;
      });
      assert.ok(Date.now() - started < 5_000, 'no read waited');
    }
  });

  it('prefers <Dockerfile>.dockerignore over the context .dockerignore', async () => {
    const root = await tree({ '.dockerignore': 'a\n', 'app.Dockerfile': 'FROM x\n', 'app.Dockerfile.dockerignore': 'b\n', Dockerfile: 'FROM x\n' });
    assert.equal(await findIgnoreFile(root, path.join(root, 'app.Dockerfile')), path.join(root, 'app.Dockerfile.dockerignore'));
    assert.equal(await findIgnoreFile(root, path.join(root, 'Dockerfile')), path.join(root, '.dockerignore'));
  });
});

describe('packBuildContext', () => {
  it('sends the Dockerfile and .dockerignore even when excluded, without the excluded files', async () => {
    const root = await tree({ '.dockerignore': 'Dockerfile\n.dockerignore\nsecret.txt\n', Dockerfile: 'FROM x\n', 'secret.txt': 's', 'app/main.sh': 'echo' });
    const packed = await packBuildContext({ dir: root, dockerfile: 'Dockerfile' });
    const files = await readTarFiles(packed.tar);
    assert.equal(packed.dockerfile, 'Dockerfile');
    assert.deepEqual([...files.keys()].sort(), ['.dockerignore', 'Dockerfile', 'app/main.sh']);
    assert.equal(files.get('.dockerignore')?.toString(), 'Dockerfile\n.dockerignore\nsecret.txt\n', 'the file on disk, unchanged');
  });

  it('applies <Dockerfile>.dockerignore and sends its rules as the tar .dockerignore', async () => {
    const root = await tree({
      '.dockerignore': 'other.txt\n',
      'docker/app.Dockerfile': 'FROM x\n',
      'docker/app.Dockerfile.dockerignore': 'private\n',
      'private/key': 'k',
      'other.txt': 'o',
    });
    const packed = await packBuildContext({ dir: root, dockerfile: path.join(root, 'docker/app.Dockerfile') });
    const files = await readTarFiles(packed.tar);
    assert.equal(packed.dockerfile, 'docker/app.Dockerfile');
    assert.equal(packed.ignoreFile, path.join(root, 'docker/app.Dockerfile.dockerignore'));
    assert.deepEqual([...files.keys()].sort(), ['.dockerignore', 'docker/app.Dockerfile', 'docker/app.Dockerfile.dockerignore', 'other.txt']);
    assert.equal(files.get('.dockerignore')?.toString(), 'private\n');
  });

  it('adds a Dockerfile from outside the context under a generated name, ignored by COPY . .', async () => {
    const context = await tree({ '.dockerignore': 'tmp', 'a.txt': 'a', 'tmp/x': '' });
    const elsewhere = await tree({ 'build.Dockerfile': 'FROM x\nCOPY . /app\n' });
    const packed = await packBuildContext({ dir: context, dockerfile: path.join(elsewhere, 'build.Dockerfile') });
    assert.match(packed.dockerfile, /^\.dockerfile\.[0-9a-f]{20}$/);
    const files = await readTarFiles(packed.tar);
    assert.deepEqual([...files.keys()].sort(), ['.dockerignore', packed.dockerfile, 'a.txt'].sort());
    assert.equal(files.get(packed.dockerfile)?.toString(), 'FROM x\nCOPY . /app\n');
    assert.equal(files.get('.dockerignore')?.toString(), `tmp\n${packed.dockerfile}\n`);
  });

  it('sends replaced Dockerfile text under a generated name; the file on disk stays in the context as it is', async () => {
    const root = await tree({ Dockerfile: 'FROM x\nCOPY . /app\n', 'a.txt': 'a' });
    const packed = await packBuildContext({ dir: root, dockerfile: 'Dockerfile', dockerfileContent: 'FROM x@sha256:1\nCOPY . /app\n' });
    assert.match(packed.dockerfile, /^\.dockerfile\.[0-9a-f]{20}$/);
    const files = await readTarFiles(packed.tar);
    assert.deepEqual([...files.keys()].sort(), ['.dockerignore', packed.dockerfile, 'Dockerfile', 'a.txt'].sort());
    assert.equal(files.get(packed.dockerfile)?.toString(), 'FROM x@sha256:1\nCOPY . /app\n');
    assert.equal(files.get('Dockerfile')?.toString(), 'FROM x\nCOPY . /app\n');
    // No .dockerignore of the context's own: the generated one drops itself as well.
    assert.equal(files.get('.dockerignore')?.toString(), `${packed.dockerfile}\n.dockerignore\n`);
  });

  it('with replaced text, a Dockerfile the ignore file excludes is not sent, and the rules carry over', async () => {
    const root = await tree({ '.dockerignore': 'Dockerfile\n.dockerignore\nsecret.txt', Dockerfile: 'FROM x\n', 'secret.txt': 's', 'a.txt': 'a' });
    const packed = await packBuildContext({ dir: root, dockerfile: path.join(root, 'Dockerfile'), dockerfileContent: 'FROM y\n' });
    const files = await readTarFiles(packed.tar);
    assert.deepEqual([...files.keys()].sort(), ['.dockerignore', packed.dockerfile, 'a.txt'].sort());
    assert.equal(files.get('.dockerignore')?.toString(), `Dockerfile\n.dockerignore\nsecret.txt\n${packed.dockerfile}\n.dockerignore\n`);
  });
});
