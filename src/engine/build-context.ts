/**
 * The build context as the Docker CLI sends it to the engine's classic builder: a tar of the
 * context folder without what the ignore file excludes, with the Dockerfile inside it.
 *
 * Why not dockerode's `{ context, src }`: it needs every file listed up front, reads only
 * `<context>/.dockerignore`, and matches directories by absolute path, so exclusions inside
 * folders and `!` exceptions do not work. Here the walk follows moby's archive walk
 * (`TarWithOptions`, with the rules of ./ignore-rules.ts: a pattern matching a parent folder
 * excludes what is under it; an excluded folder is still walked only when a `!` exception names a
 * path under it).
 *
 * Ignore file: `<Dockerfile>.dockerignore` beside the Dockerfile when it exists (BuildKit's
 * per-Dockerfile ignore file), else `<context>/.dockerignore`. The classic builder in the engine
 * reads `.dockerignore` from the tar only to drop the Dockerfile and the ignore file itself when
 * they are excluded; so the tar's `.dockerignore` carries the rules that were applied.
 *
 * A Dockerfile outside the context is added under a generated name `.dockerfile.<hex>`, listed in
 * the tar's `.dockerignore` so `COPY . .` does not pick it up (docker/cli
 * `build.AddDockerfileToBuildContext`, as for `docker build -f - <dir>`). So is a Dockerfile whose
 * text the caller replaces (`dockerfileContent`): the file on disk then stays in the context as it
 * is, so a `COPY . .` copies the same bytes a plain build would. When the context sends no
 * `.dockerignore` of its own, the generated one lists itself too: the builder then drops it, and
 * `COPY . .` gives the tree a plain build gives.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TarHeader, TarPack } from 'tar-fs';
import { readBoundedFileOrThrow } from '../util/read-bounded-file.js';
import { type IgnoreRules, type ParentMatch, parseIgnoreRules } from './ignore-rules.js';

export { IgnorePatternError, type IgnoreRules, parseIgnoreRules } from './ignore-rules.js';

export interface BuildContextSpec {
  /** The build context folder. */
  readonly dir: string;
  /** The Dockerfile: relative to `dir`, or absolute (it may lie outside `dir`). */
  readonly dockerfile: string;
  /** Use this ignore file instead of looking for `<Dockerfile>.dockerignore`, then `<dir>/.dockerignore`. */
  readonly ignoreFile?: string;
  /**
   * The Dockerfile text to build from, instead of the file's own (which still names the
   * Dockerfile: its ignore file, and its place in the context). Default: the file's content.
   */
  readonly dockerfileContent?: string;
}

export interface PackedContext {
  /** The tar to send as the body of POST /build. */
  readonly tar: TarPack;
  /** The `dockerfile` parameter: its path inside the tar, with `/` separators. */
  readonly dockerfile: string;
  /** The ignore file applied, or null when there was none. */
  readonly ignoreFile: string | null;
  /** How many files, folders and links the tar holds (generated entries included). */
  readonly entries: number;
}

/** Where the ignore file for a build is: `<Dockerfile>.dockerignore`, else `<dir>/.dockerignore`, else none. */
export async function findIgnoreFile(dir: string, dockerfile: string): Promise<string | null> {
  for (const candidate of [`${dockerfile}.dockerignore`, path.join(dir, '.dockerignore')]) {
    // Whatever it is: a FIFO or a folder under that name fails the build by name when it is read
    // (as docker build fails on it), rather than being passed over and the build sending more.
    if (await exists(candidate)) return candidate;
  }
  return null;
}

/**
 * Relative paths (sorted, `/`-separated) of what the context sends: files, symlinks (not
 * followed) and folders, without excluded ones. Sockets and other special files are left out.
 */
export async function listContextEntries(dir: string, rules: IgnoreRules | null): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relativeDir: string, parent: ParentMatch | null): Promise<void> => {
    const entries = await fs.readdir(path.join(dir, relativeDir), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      const isDir = entry.isDirectory();
      if (!isDir && !entry.isFile() && !entry.isSymbolicLink()) continue;
      const matched = rules?.match(relative, parent) ?? null;
      if (matched?.excluded) {
        if (isDir && rules?.walksExcludedFolder(relative)) await walk(relative, matched.parent);
        continue;
      }
      found.push(relative);
      if (isDir) await walk(relative, matched?.parent ?? null);
    }
  };
  await walk('', null);
  return found;
}

/** Packs a build context; the tar streams from disk as the engine reads it. */
export async function packBuildContext(spec: BuildContextSpec): Promise<PackedContext> {
  const dir = path.resolve(spec.dir);
  const dockerfileAbs = path.resolve(dir, spec.dockerfile);
  const inside = path.relative(dir, dockerfileAbs);
  const outside = inside === '' || inside.startsWith(`..${path.sep}`) || inside === '..' || path.isAbsolute(inside);
  const ignoreFile = spec.ignoreFile ?? (await findIgnoreFile(dir, dockerfileAbs));
  // Bounded and regular files only (util/read-bounded-file): a FIFO or /dev/zero named
  // .dockerignore fails this build with the file's name instead of hanging it.
  const ignoreText = ignoreFile === null ? null : await readBoundedFileOrThrow(ignoreFile, 'dockerignore');
  const rules = ignoreText === null || ignoreFile === null ? null : parseIgnoreRules(ignoreText, ignoreFile);
  const contextIgnore = path.join(dir, '.dockerignore');

  const entries = await listContextEntries(dir, rules);
  // The Docker CLI always sends the Dockerfile and .dockerignore, even when excluded: the
  // classic builder needs the one and reads the other, then drops both if they are excluded.
  const generatedDockerfile = outside || spec.dockerfileContent !== undefined;
  const dockerfileName = generatedDockerfile ? `.dockerfile.${randomBytes(10).toString('hex')}` : inside.split(path.sep).join('/');
  if (!generatedDockerfile && !entries.includes(dockerfileName)) entries.push(dockerfileName);

  // The tar's .dockerignore is the file on disk when that is what was applied and nothing is
  // added to it; otherwise it is written: the applied rules, plus the generated Dockerfile name.
  const ownIgnoreApplied = ignoreFile !== null && path.resolve(ignoreFile) === contextIgnore;
  const writeIgnore = generatedDockerfile || (ignoreFile !== null && !ownIgnoreApplied);
  const withoutIgnore = entries.filter((entry) => entry !== '.dockerignore');
  const listed = writeIgnore ? withoutIgnore : ownIgnoreApplied ? [...withoutIgnore, '.dockerignore'] : entries;
  const generated: Array<{ name: string; content: Buffer }> = [];
  if (writeIgnore) {
    const rulesText = ignoreText === null ? '' : ignoreText.endsWith('\n') || ignoreText === '' ? ignoreText : `${ignoreText}\n`;
    // A .dockerignore the context would not have sent drops itself (the builder removes the
    // ignore file when its own rules exclude it), so the image does not gain one.
    const added = generatedDockerfile ? `${dockerfileName}\n${entries.includes('.dockerignore') ? '' : '.dockerignore\n'}` : '';
    generated.push({ name: '.dockerignore', content: Buffer.from(`${rulesText}${added}`) });
  }
  if (generatedDockerfile) {
    const content = Buffer.from(spec.dockerfileContent ?? (await readBoundedFileOrThrow(dockerfileAbs, 'dockerfile')));
    generated.push({ name: dockerfileName, content });
  }

  // tar-fs (with tar-stream and streamx, some 40 modules) loads with the first build, not with every command.
  const { pack } = await import('tar-fs');
  const tar = pack(dir, {
    entries: listed,
    // Only entries listed are packed: tar-fs would otherwise add every child of a listed folder.
    ignore: () => true,
    // As the Docker CLI sends it: owned by root; the classic builder copies files as 0:0 anyway.
    map: (header) => ({ ...header, uid: 0, gid: 0, uname: '', gname: '' }),
    finalize: false,
    finish: (packer) => {
      const now = new Date();
      for (const file of generated) {
        const header: TarHeader = { name: file.name, mode: 0o600, mtime: now, size: file.content.length, type: 'file', uid: 0, gid: 0 };
        packer.entry(header, file.content);
      }
      packer.finalize();
    },
  });
  return { tar, dockerfile: dockerfileName, ignoreFile, entries: listed.length + generated.length };
}

/** Something is there under that name (a symlink counts when it leads somewhere). */
async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}
