/**
 * The folders of src/ in layers (README "How the code is laid out"): a folder imports only
 * folders of a lower layer, so the pipeline reads top to bottom and no stage reaches into a
 * later one. Type-only imports count: a type is a dependency too.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Lowest first. Folders in one entry are peers: they may not import each other. */
export const LAYERS: readonly (readonly string[])[] = [
  ['util'],
  ['refs'],
  ['report'],
  ['config'],
  ['engine', 'registry', 'archive'],
  ['inventory'],
  ['link'],
  ['resolve'],
  ['plan'],
  ['act'],
  ['record'],
  ['notify'],
  ['pipeline'],
  ['daemon'],
  ['cli'],
];

// dist/src/layout.test.js and src/layout.test.ts alike: the sources are in <root>/src.
const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = here.split(sep).includes('dist') ? resolve(here, '..', '..', 'src') : here;

function sourceFiles(): string[] {
  return readdirSync(srcRoot, { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'));
}

/** `from './x.js'`, `import('./x.js')`, `import './x.js'`: every relative specifier. */
function relativeImports(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g)].map((match) => match[1] as string);
}

function layerOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

test('every folder of src/ has its place in the layers', () => {
  const folders = readdirSync(srcRoot, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  const unplaced = folders.filter((folder) => layerOf(folder) === -1);
  assert.deepEqual(unplaced, [], `folders with no layer in LAYERS: ${unplaced.join(', ')}`);
  const loose = readdirSync(srcRoot).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));
  assert.deepEqual(loose, [], 'code lives in a folder, not at the top of src/');
});

test('no folder imports a peer or a later one', () => {
  const violations: string[] = [];
  for (const file of sourceFiles()) {
    const folder = file.split(sep)[0] as string;
    const text = readFileSync(join(srcRoot, file), 'utf8');
    for (const spec of relativeImports(text)) {
      const target = relative(srcRoot, resolve(srcRoot, dirname(file), spec));
      const targetFolder = target.split(sep)[0] as string;
      if (targetFolder === folder) continue;
      if (layerOf(targetFolder) >= layerOf(folder)) violations.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the check sees imports of every form', () => {
  const text = "import type { A } from '../a/x.js';\nimport './b/y.js';\nconst m = await import('../c/z.js');\nexport { B } from '../d/w.js';";
  assert.deepEqual(relativeImports(text), ['../a/x.js', './b/y.js', '../c/z.js', '../d/w.js']);
});
