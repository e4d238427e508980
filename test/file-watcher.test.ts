// The project-file watcher on a real folder tree with real chokidar: the first scan is an
// inventory (no events), then files and folders that are added, edited, saved atomically, moved
// in, removed and created again each give the event a user's edit should give, once; roots can
// be added, dropped and can appear after the start.
import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ProjectFileEvent, ProjectFileWatcher } from '../src/daemon/file-watcher.js';
import { silentLogger } from '../src/util/logger.js';
import { makeTempDir } from './helpers/world.js';

interface Watching {
  readonly watcher: ProjectFileWatcher;
  readonly events: ProjectFileEvent[];
}

async function until(what: string, probe: () => boolean, context: () => string = () => '', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function startWatching(roots: string[]): Promise<Watching> {
  const events: ProjectFileEvent[] = [];
  const watcher = new ProjectFileWatcher({ roots, logger: silentLogger, onEvent: (event) => events.push(event) });
  watcher.start();
  await until('the first scan', () => watcher.snapshot().state !== 'starting');
  return { watcher, events };
}

/** What a timed-out wait shows: the events so far and the watcher's own account (a watch limit, a root problem). */
function seenSoFar(watching: Watching): string {
  return `events: ${JSON.stringify(watching.events)}\nwatcher: ${JSON.stringify(watching.watcher.snapshot())}`;
}

/** Waits until `file` has had an event of `kind`, then a little longer for duplicates. */
async function eventFor(watching: Watching, kind: ProjectFileEvent['kind'], file: string): Promise<ProjectFileEvent[]> {
  await until(`${kind} ${file}`, () => watching.events.some((event) => event.kind === kind && event.file === file), () => seenSoFar(watching));
  await new Promise((resolve) => setTimeout(resolve, 300));
  return watching.events.filter((event) => event.file === file);
}

/**
 * A new file is reported added exactly once (two would mean two watchers on its folder). The
 * write after the create may also come as a change: the daemon's debounce folds those together.
 */
async function addedOnce(watching: Watching, file: string): Promise<void> {
  const seen = await eventFor(watching, 'added', file);
  assert.deepEqual(seen[0], { kind: 'added', file }, JSON.stringify(seen));
  assert.deepEqual(
    seen.filter((event) => event.kind !== 'changed').map((event) => event.kind),
    ['added'],
    `one add and nothing removed: ${JSON.stringify(seen)}`,
  );
}

const counts = (watching: Watching) => watching.watcher.snapshot().roots.map((root) => [root.dockerfiles, root.composeFiles]);

describe('project file watcher', () => {
  let root: string;
  let outside: string;
  let watching: Watching;

  before(async () => {
    root = await makeTempDir('watch-root');
    outside = await makeTempDir('watch-outside');
    // More folders than one chunk holds, with the project files deep down and spread out.
    for (let pkg = 0; pkg < 60; pkg++) {
      const folder = join(root, `pkg-${pkg}`, 'src', 'lib');
      await mkdir(folder, { recursive: true });
      await Promise.all(Array.from({ length: 50 }, (_, i) => writeFile(join(folder, `f${i}.ts`), `${i}\n`)));
      if (pkg % 20 === 0) await writeFile(join(root, `pkg-${pkg}`, 'Dockerfile'), 'FROM alpine:3.20\n');
    }
    await writeFile(join(root, 'pkg-1', 'src', 'compose.yaml'), 'services: {}\n');
    await mkdir(join(root, 'pkg-2', 'node_modules', 'dep'), { recursive: true });
    await writeFile(join(root, 'pkg-2', 'node_modules', 'dep', 'Dockerfile'), 'FROM alpine\n');
    watching = await startWatching([root]);
  });

  after(async () => {
    await watching?.watcher.stop();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('counts what the first scan found, skips node_modules, and reports none of it as a change', () => {
    assert.deepEqual(watching.watcher.snapshot().state, 'watching');
    assert.deepEqual(counts(watching), [[3, 1]], seenSoFar(watching));
    assert.deepEqual(watching.events, []);
  });

  it('reports an edit, including an atomic save, as one change', async () => {
    const file = join(root, 'pkg-20', 'Dockerfile');
    await writeFile(file, 'FROM alpine:3.21\n');
    // One write may reach inotify as two modifications (truncate, then data) on a busy machine:
    // more than one change is allowed (the daemon's debounce folds them), anything else is not.
    const edited = await eventFor(watching, 'changed', file);
    assert.ok(edited.every((event) => event.kind === 'changed'), `an edit is a change: ${JSON.stringify(edited)}`);
    watching.events.length = 0;
    const temp = join(root, 'pkg-20', '.Dockerfile.swp-tmp');
    await writeFile(temp, 'FROM alpine:3.22\n');
    await rename(temp, file);
    const seen = await eventFor(watching, 'changed', file);
    assert.ok(seen.every((event) => event.kind === 'changed'), `an atomic save is a change, not a removal: ${JSON.stringify(seen)}`);
  });

  it('sees a new Dockerfile in a scanned folder and in a folder made after the scan', async () => {
    watching.events.length = 0;
    const inScanned = join(root, 'pkg-5', 'src', 'lib', 'Dockerfile');
    await writeFile(inScanned, 'FROM alpine\n');
    await addedOnce(watching, inScanned);
    const deep = join(root, 'pkg-6', 'new', 'deeper');
    await mkdir(deep, { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const inNew = join(deep, 'Containerfile');
    await writeFile(inNew, 'FROM alpine\n');
    await addedOnce(watching, inNew);
    assert.deepEqual(counts(watching), [[5, 1]], seenSoFar(watching));
  });

  it('sees files written into new folders at once, with no pause for the watcher to catch up', async () => {
    watching.events.length = 0;
    // A clone or an unpacked archive: folders and files appear together. chokidar reads a new
    // folder before it watches it, so a file made in between must still be reported.
    const files = Array.from({ length: 12 }, (_, i) => join(root, 'burst', `p${i}`, 'deep', 'Dockerfile'));
    for (const file of files) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, 'FROM alpine\n');
    }
    for (const file of files) await addedOnce(watching, file);
    await rm(join(root, 'burst'), { recursive: true });
    for (const file of files) await eventFor(watching, 'removed', file);
    assert.deepEqual(counts(watching), [[5, 1]], seenSoFar(watching));
  });

  it('sees the project files of a folder moved in, and the removal of a folder', async () => {
    watching.events.length = 0;
    const project = join(outside, 'moved');
    await mkdir(join(project, 'api'), { recursive: true });
    await writeFile(join(project, 'api', 'Dockerfile'), 'FROM alpine\n');
    await writeFile(join(project, 'docker-compose.yml'), 'services: {}\n');
    await rename(project, join(root, 'moved'));
    const dockerfile = join(root, 'moved', 'api', 'Dockerfile');
    const compose = join(root, 'moved', 'docker-compose.yml');
    await addedOnce(watching, dockerfile);
    await addedOnce(watching, compose);
    assert.deepEqual(counts(watching), [[6, 2]], seenSoFar(watching));

    watching.events.length = 0;
    const scanned = join(root, 'pkg-40', 'Dockerfile');
    await rm(join(root, 'pkg-40'), { recursive: true });
    await eventFor(watching, 'removed', scanned);
    await rm(join(root, 'moved'), { recursive: true });
    await eventFor(watching, 'removed', dockerfile);
    await eventFor(watching, 'removed', compose);
    assert.deepEqual(counts(watching), [[4, 1]], seenSoFar(watching));
  });

  it('sees a removed folder made again, once', async () => {
    watching.events.length = 0;
    const folder = join(root, 'pkg-40');
    await mkdir(folder);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const file = join(folder, 'Dockerfile');
    await writeFile(file, 'FROM alpine\n');
    await addedOnce(watching, file);
    assert.deepEqual(counts(watching), [[5, 1]], seenSoFar(watching));
  });

  it('follows roots added and dropped, and a root that appears after the start', async () => {
    const later = join(outside, 'later');
    watching.watcher.setRoots([root, later]);
    await until('the missing root listed', () => watching.watcher.snapshot().roots.length === 2 && watching.watcher.snapshot().state !== 'starting');
    assert.match(watching.watcher.snapshot().roots[1]?.problem ?? '', /no such folder/);
    watching.events.length = 0;
    await mkdir(join(later, 'svc'), { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const file = join(later, 'svc', 'Dockerfile');
    await writeFile(file, 'FROM alpine\n');
    await addedOnce(watching, file);
    assert.deepEqual(counts(watching), [[5, 1], [1, 0]], seenSoFar(watching));
    assert.equal(watching.watcher.snapshot().roots[1]?.problem, null, 'the root is there now');

    watching.watcher.setRoots([later]);
    assert.deepEqual(counts(watching), [[1, 0]], seenSoFar(watching));
    watching.events.length = 0;
    await writeFile(join(root, 'pkg-0', 'Dockerfile'), 'FROM alpine:edge\n');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(watching.events, [], 'a dropped root is not watched any more');
  });

  it('watches a root kept inside a folder it skips below roots (vendor/, .cache/)', async () => {
    const kept = join(outside, 'vendor', 'proj');
    await mkdir(join(kept, 'app'), { recursive: true });
    await writeFile(join(kept, 'app', 'Dockerfile'), 'FROM alpine\n');
    await mkdir(join(kept, 'node_modules', 'dep'), { recursive: true });
    const own = await startWatching([kept]);
    try {
      assert.deepEqual(counts(own), [[1, 0]]);
      const file = join(kept, 'app', 'compose.yaml');
      await writeFile(file, 'services: {}\n');
      await addedOnce(own, file);
      await writeFile(join(kept, 'node_modules', 'dep', 'Dockerfile'), 'FROM alpine\n');
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(
        own.events.filter((event) => event.kind !== 'changed'),
        [{ kind: 'added', file }],
        `node_modules below the root is still skipped: ${JSON.stringify(own.events)}`,
      );
    } finally {
      await own.watcher.stop();
    }
  });
});
