/**
 * Finds Dockerfiles and compose files under the folders basewatch watches.
 * Walks with readdir (no globbing library needed for a name test) and never follows symlinked
 * folders, so a link loop or a link into / cannot make a scan endless. The scan only lists names
 * and entry types: it opens no file, so a FIFO named Dockerfile cannot block it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** Folders that hold dependencies, VCS data or caches: never a project's own Dockerfile. */
export const SKIPPED_FOLDERS: ReadonlySet<string> = new Set([
  'node_modules',
  'bower_components',
  'jspm_packages',
  'vendor',
  '.git',
  '.hg',
  '.svn',
  '.bzr',
  '_darcs',
  '.jj',
  '.pijul',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.terraform',
  '.gradle',
  '.next',
  '.nuxt',
  '.cache',
]);

const COMPOSE_NAMES: ReadonlySet<string> = new Set([
  'compose.yaml',
  'compose.yml',
  'docker-compose.yaml',
  'docker-compose.yml',
  'compose.override.yaml',
  'compose.override.yml',
  'docker-compose.override.yaml',
  'docker-compose.override.yml',
]);

/** Names that look like Dockerfile variants but are not Dockerfiles (ignore files, editor leftovers). */
const NOT_A_DOCKERFILE = /(\.dockerignore|\.md|\.txt|~|\.swp|\.orig|\.bak|\.rej)$/i;

export type ProjectFileKind = 'dockerfile' | 'compose';

export function projectFileKind(name: string): ProjectFileKind | null {
  if (COMPOSE_NAMES.has(name)) return 'compose';
  const lower = name.toLowerCase();
  if (lower === 'dockerfile' || lower === 'containerfile') return 'dockerfile';
  if (NOT_A_DOCKERFILE.test(lower)) return null;
  if (/^(dockerfile|containerfile)\.[^.]/.test(lower)) return 'dockerfile';
  if (/[^.]\.(dockerfile|containerfile)$/.test(lower)) return 'dockerfile';
  return null;
}

export interface ProjectFiles {
  readonly dockerfiles: string[];
  readonly composeFiles: string[];
  /** Folders or roots that could not be read, with a message that says why. */
  readonly errors: Array<{ where: string; message: string }>;
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: basewatch cannot read this folder (check its permissions or remove it from the roots)';
    case 'ENOENT':
      return 'no such file or folder';
    case 'ENOTDIR':
      return 'not a folder';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Walks each root (absolute paths) and returns the files found, sorted, with unreadable folders as errors. */
export async function findProjectFiles(roots: readonly string[]): Promise<ProjectFiles> {
  const dockerfiles = new Set<string>();
  const composeFiles = new Set<string>();
  const errors: ProjectFiles['errors'] = [];

  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      errors.push({ where: dir, message: `cannot read folder: ${describeFsError(error)}` });
      return;
    }
    const subfolders: string[] = [];
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) subfolders.push(full);
        continue;
      }
      // A symlinked Dockerfile is still a Dockerfile; a symlinked folder is not followed. A FIFO,
      // socket or device with a project file's name is listed too, never opened here: reading it
      // (util/read-bounded-file) refuses it, so the report names it instead of hanging on it.
      const kind = projectFileKind(entry.name);
      if (kind === 'dockerfile') dockerfiles.add(full);
      else if (kind === 'compose') composeFiles.add(full);
    }
    for (const sub of subfolders) await walk(sub);
  };

  for (const root of roots) {
    try {
      const stat = await fs.stat(root);
      if (!stat.isDirectory()) {
        const kind = projectFileKind(path.basename(root));
        if (kind === 'dockerfile') dockerfiles.add(root);
        else if (kind === 'compose') composeFiles.add(root);
        else errors.push({ where: root, message: 'not a folder, Dockerfile or compose file' });
        continue;
      }
    } catch (error) {
      errors.push({ where: root, message: `cannot read root: ${describeFsError(error)}` });
      continue;
    }
    await walk(root);
  }
  return { dockerfiles: [...dockerfiles].sort(), composeFiles: [...composeFiles].sort(), errors };
}
