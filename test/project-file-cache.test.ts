// Project files are read only when they changed (issue 14), on real files: the cache's count of
// files opened and read says which were; what the reading says of them must be what a fresh read
// says. And the CLI's cache file: one that cannot be read is set aside with a warning and rebuilt.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_FILES_FILE, ProjectFileCache, loadProjectFiles, saveProjectFiles } from '../src/inventory/project-file-cache.js';
import { readProjects } from '../src/inventory/read-projects.js';
import { makeTempDir, runBasewatch, skipWithoutWorld, writeProject } from './helpers/world.js';

const execFileAsync = promisify(execFile);

/** An hour ago: a file written just now is read again anyway (its next edit may keep its mtime). */
const settled = new Date(Date.now() - 3_600_000);

async function settle(...files: string[]): Promise<void> {
  for (const file of files) await fs.utimes(file, settled, settled);
}

function finalBases(reading: Awaited<ReturnType<typeof readProjects>>): Record<string, string | null> {
  return Object.fromEntries(reading.dockerfiles.map((file) => [path.basename(path.dirname(file.path)), file.uses.find((use) => use.final)?.ref ?? null]));
}

describe('project files cache (real files)', () => {
  it('an unchanged file is not read again; an edit of the same size with a new mtime is', async () => {
    const project = await writeProject({ 'api/Dockerfile': 'FROM debian:12\n', 'web/Dockerfile': 'FROM nginx:1.27\n', 'compose.yaml': 'services:\n  api:\n    build: ./api\n    image: shop/api:dev\n' });
    const api = path.join(project, 'api/Dockerfile');
    const web = path.join(project, 'web/Dockerfile');
    const compose = path.join(project, 'compose.yaml');
    await settle(api, web, compose);
    const cache = new ProjectFileCache();
    const first = await readProjects([api, web], [compose], {}, cache);
    assert.equal(cache.reads, 3);
    assert.deepEqual(finalBases(first), { api: 'docker.io/library/debian:12', web: 'docker.io/library/nginx:1.27' });

    const again = await readProjects([api, web], [compose], {}, cache);
    assert.equal(cache.reads, 3, 'unchanged files were read again');
    assert.equal(cache.hits, 3);
    assert.deepEqual(again, first);

    // Same size, new content, a later mtime: read again, and the new base is seen.
    await fs.writeFile(api, 'FROM debian:13\n');
    const edited = new Date(settled.getTime() + 1_000);
    await fs.utimes(api, edited, edited);
    const afterEdit = await readProjects([api, web], [compose], {}, cache);
    assert.equal(cache.reads, 4, 'only the edited file is read again');
    assert.deepEqual(finalBases(afterEdit), { api: 'docker.io/library/debian:13', web: 'docker.io/library/nginx:1.27' });
    assert.deepEqual(afterEdit, await readProjects([api, web], [compose], {}, new ProjectFileCache()), 'the cached reading differs from a fresh one');
  });

  it('a file modified just now is read again next time (its next edit may keep its mtime)', async () => {
    const project = await writeProject({ 'Dockerfile': 'FROM debian:12\n' });
    const file = path.join(project, 'Dockerfile');
    const cache = new ProjectFileCache();
    await readProjects([file], [], {}, cache);
    await readProjects([file], [], {}, cache);
    assert.equal(cache.reads, 2);
  });

  it('a file replaced by a FIFO is reported as before, not taken from the cache', async () => {
    const project = await writeProject({ 'Dockerfile': 'FROM debian:12\n' });
    const file = path.join(project, 'Dockerfile');
    await settle(file);
    const cache = new ProjectFileCache();
    await readProjects([file], [], {}, cache);
    await fs.rm(file);
    await execFileAsync('mkfifo', [file]);
    const reading = await readProjects([file], [], {}, cache);
    assert.equal(reading.dockerfiles[0]?.text, null);
    assert.match(reading.dockerfiles[0]?.errors[0]?.message ?? '', /is a FIFO \(named pipe\), not a regular file/);
    assert.deepEqual(reading.errors, (await readProjects([file], [], {}, new ProjectFileCache())).errors);
  });

  it('a build with other args is parsed for them, from the same read', async () => {
    const project = await writeProject({ 'Dockerfile': 'ARG V=12\nFROM debian:${V}\n', 'compose.yaml': 'services:\n  a:\n    build:\n      context: .\n      args:\n        V: "13"\n    image: a:dev\n' });
    const file = path.join(project, 'Dockerfile');
    const compose = path.join(project, 'compose.yaml');
    await settle(file, compose);
    const cache = new ProjectFileCache();
    const plain = await readProjects([file], [], {}, cache);
    const built = await readProjects([file], [compose], {}, cache);
    assert.deepEqual(plain.dockerfiles[0]?.uses.filter((use) => use.final).map((use) => use.ref), ['docker.io/library/debian:12']);
    assert.equal(built.hints[0]?.baseRef, 'docker.io/library/debian:13');
    assert.equal(cache.reads, 2, 'the Dockerfile was read once, the compose file once');
  });

  it('is saved in the state folder privately and read back; a corrupt one is set aside and rebuilt', async () => {
    const state = await makeTempDir('project-files-state');
    const project = await writeProject({ 'Dockerfile': 'FROM debian:12\n' });
    const file = path.join(project, 'Dockerfile');
    await settle(file);
    const cache = new ProjectFileCache();
    await readProjects([file], [], {}, cache);
    assert.equal(await saveProjectFiles(state, cache), null);
    assert.equal((await fs.stat(path.join(state, PROJECT_FILES_FILE))).mode & 0o777, 0o600);

    const loaded = await loadProjectFiles(state);
    assert.equal(loaded.warning, null);
    await readProjects([file], [], {}, loaded.cache);
    assert.equal(loaded.cache.reads, 0, 'a file unchanged since the saved run was read again');

    await fs.writeFile(path.join(state, PROJECT_FILES_FILE), '{"version":1,"files":{"x":');
    const healed = await loadProjectFiles(state);
    assert.match(healed.warning ?? '', /project files cache .* could not be read; set aside as project-files\.json\.corrupt-/);
    assert.equal(healed.cache.size, 0);
    const aside = (await fs.readdir(state)).filter((name) => name.startsWith(`${PROJECT_FILES_FILE}.corrupt-`));
    assert.equal(aside.length, 1);
    await readProjects([file], [], {}, healed.cache);
    assert.equal(await saveProjectFiles(state, healed.cache), null);
    assert.equal((await loadProjectFiles(state)).cache.size, 1, 'the cache was not rebuilt');
  });

  it('saves no compose file or .env (they may hold secrets); the daemon keeps them in memory', async () => {
    const state = await makeTempDir('project-files-secrets');
    const project = await writeProject({ 'Dockerfile': 'FROM debian:12\n', 'compose.yaml': 'services:\n  a:\n    build: .\n    image: a:dev\n    environment:\n      PASSWORD: hunter2-compose\n', '.env': 'TOKEN=hunter2-dotenv\n' });
    const files = ['Dockerfile', 'compose.yaml', '.env'].map((name) => path.join(project, name));
    await settle(...files);
    const cache = new ProjectFileCache();
    await readProjects([files[0]!], [files[1]!], {}, cache);
    assert.equal(cache.size, 3);
    await readProjects([files[0]!], [files[1]!], {}, cache);
    assert.equal(cache.reads, 3, 'the daemon (in memory) reads none of them again');
    assert.equal(await saveProjectFiles(state, cache), null);
    const saved = await fs.readFile(path.join(state, PROJECT_FILES_FILE), 'utf8');
    assert.match(saved, /FROM debian:12/);
    assert.doesNotMatch(saved, /hunter2/);
  });

  it('keeps at most its bound, the least recently read dropped first', async () => {
    const project = await writeProject({ 'a/Dockerfile': 'FROM a:1\n', 'b/Dockerfile': 'FROM b:1\n', 'c/Dockerfile': 'FROM c:1\n' });
    const files = ['a', 'b', 'c'].map((name) => path.join(project, name, 'Dockerfile'));
    await settle(...files);
    const cache = new ProjectFileCache();
    for (const [i, file] of files.entries()) await cache.read(file, 'dockerfile', settled.getTime() + 60_000 + i);
    cache.bound(2);
    cache.reads = 0;
    for (const file of files) await cache.read(file, 'dockerfile');
    assert.equal(cache.reads, 1, 'the oldest entry should be the one dropped');
  });
});

describe('project files cache of the CLI (real engine)', { skip: skipWithoutWorld() }, () => {
  it('check sets a corrupt cache file aside with a warning, rebuilds it, and reports the same', async () => {
    const home = await makeTempDir('project-files-home');
    const project = await writeProject({ 'Dockerfile': 'FROM debian:12\n' });
    await settle(path.join(project, 'Dockerfile'));
    const first = await runBasewatch(['check', '--offline', '--json', '--root', project], { home });
    assert.equal(first.code, 0, first.stderr);
    const cacheFile = path.join(home, 'state', PROJECT_FILES_FILE);
    assert.match(await fs.readFile(cacheFile, 'utf8'), /FROM debian:12/);
    await fs.writeFile(cacheFile, 'not json');
    const healed = await runBasewatch(['check', '--offline', '--json', '--root', project], { home });
    assert.equal(healed.code, 0, healed.stderr);
    assert.match(healed.stderr, /warning: the project files cache .* could not be read; set aside as project-files\.json\.corrupt-/);
    assert.deepEqual(JSON.parse(healed.stdout).dockerfiles, JSON.parse(first.stdout).dockerfiles);
    assert.match(await fs.readFile(cacheFile, 'utf8'), /FROM debian:12/);
  });
});
