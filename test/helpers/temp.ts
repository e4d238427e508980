// Scratch files and names for tests: inside the world's dir (removed at teardown), or in a
// per-process temp dir removed when the process exits.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { LEDGER_FILE } from '../world/env.js';
import { getWorld } from './current-world.js';

let ownTempRoot: string | null = null;

function tempRoot(): string {
  const world = getWorld();
  if (world) {
    const root = join(world.dir, 'tmp');
    mkdirSync(root, { recursive: true });
    return root;
  }
  if (!ownTempRoot) {
    const root = mkdtempSync(join(tmpdir(), 'basewatch-test-'));
    ownTempRoot = root;
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return ownTempRoot;
}

/** A new empty directory; its name starts with prefix. */
export async function makeTempDir(prefix = 'tmp'): Promise<string> {
  const parent = tempRoot();
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, `${prefix}-`));
}

/**
 * Writes a directory tree ({ 'Dockerfile': '…', 'app/main.py': '…' }) into a new temp dir and
 * returns its absolute path.
 */
export async function writeProject(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await makeTempDir('project');
  await writeTree(root, files);
  return root;
}

/** Writes files under root; paths are relative to root (a leading "/" is allowed) and may not leave it. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const relative = normalize(path.replace(/^\/+/, ''));
    if (relative === '.' || relative.startsWith(`..${sep}`) || relative === '..' || isAbsolute(relative)) {
      throw new Error(`writeTree: path ${JSON.stringify(path)} is outside the tree`);
    }
    const target = join(root, relative);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

let counter = 0;
const processTag = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;

/**
 * A name unique to this run and process, usable as an image repository component or tag:
 * lowercase [a-z0-9-], starting with the (sanitised) prefix.
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
  counter += 1;
  return `${clean}-${processTag}-${counter}`;
}

/** Notes an image ref/id for teardown, for images that may lack the fixture labels. */
export function recordCreatedImage(ref: string): void {
  const world = getWorld();
  if (world) appendFileSync(join(world.dir, LEDGER_FILE), `${ref}\n`);
}
