/**
 * The check bench's images: `bases` base images pushed to the registry, one project folder with a
 * Dockerfile per base, and `images` app images built on them. One image per base is a real
 * `docker build`; the others are copies of it that differ only in their label (a new config, so
 * a new image ID, with the same layers: the base's diff_ids as their prefix), written with
 * `docker save` and loaded back in one `docker load`: 500 builds one by one did not fit a
 * session on a loaded 2-core machine, while a `docker build` with another build arg makes the
 * same kind of image (the base's layers, then the app's config).
 */
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { mapLimit } from '../src/util/map-limit.js';
import { buildImage, docker, makeBaseImage, makeTempDir, pushImage, uniqueName } from '../test/helpers/world.js';
import { recordCreatedImage } from '../test/helpers/temp.js';
import { runChecked } from '../test/world/process.js';

export interface ScaleImages {
  /** Base refs, named with the registry host the bench was given (its counting proxy). */
  baseRefs: string[];
  /** The project folder: svc-<b>/Dockerfile, FROM the b-th base. */
  project: string;
  /** App image tags; image i is built on base i % bases. */
  imageTags: string[];
}

/** The parts of a `docker save` (legacy layout) manifest.json entry the copies need. */
interface SavedImage {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

interface ImageConfig {
  config?: { Labels?: Record<string, string> | null };
  container_config?: { Labels?: Record<string, string> | null };
}

export async function makeScaleImages(images: number, bases: number, registryHost: string): Promise<ScaleImages> {
  const baseRefs = Array.from({ length: bases }, (_, b) => `${registryHost}/${uniqueName(`scale-base-${b}`)}:1`);
  await mapLimit(baseRefs, 2, async (ref) => {
    await makeBaseImage({ ref });
    await pushImage(ref);
  });
  // One Dockerfile per base, as a project would have; each image adds a label (a new image
  // ID, no new layer) on one of the bases.
  const project = await makeTempDir('scale-project');
  for (const [b, ref] of baseRefs.entries()) {
    await fs.mkdir(path.join(project, `svc-${b}`), { recursive: true });
    await fs.writeFile(path.join(project, `svc-${b}`, 'Dockerfile'), `FROM ${ref}\nARG N=0\nLABEL bench.n=$N\n`);
  }
  const imageTags = Array.from({ length: images }, (_, i) => `${uniqueName(`scale-app-${i}`)}:dev`);
  const seeds = imageTags.slice(0, Math.min(bases, images));
  await mapLimit(seeds, 2, async (tag, i) => {
    const build = (): Promise<string> => buildImage({ context: path.join(project, `svc-${i}`), tag, buildArgs: { N: String(i) } });
    // A loaded machine's engine now and then loses a build ("signal: killed"): once more.
    await build().catch(build);
  });
  if (images > seeds.length) await loadLabelCopies(seeds, imageTags.slice(seeds.length), seeds.length);
  return { baseRefs, project, imageTags };
}

/** Image seeds.length + k is seed (seeds.length + k) % seeds.length with label bench.n = its index. */
async function loadLabelCopies(seeds: readonly string[], copies: readonly string[], offset: number): Promise<void> {
  const work = await makeTempDir('scale-copies');
  const saved = path.join(work, 'saved');
  await fs.mkdir(saved);
  await docker(['save', '-o', path.join(work, 'seeds.tar'), ...seeds], { timeoutMs: 600_000 });
  await runChecked('tar', ['-xf', path.join(work, 'seeds.tar'), '-C', saved]);
  await fs.rm(path.join(work, 'seeds.tar'));
  const manifest = JSON.parse(await fs.readFile(path.join(saved, 'manifest.json'), 'utf8')) as SavedImage[];
  const bySeed = new Map(seeds.map((tag) => [tag, manifest.find((entry) => entry.RepoTags?.includes(tag))] as const));
  const entries: SavedImage[] = [];
  for (const [k, tag] of copies.entries()) {
    const n = offset + k;
    const seed = bySeed.get(seeds[n % seeds.length] ?? '');
    if (seed === undefined) throw new Error(`docker save left ${seeds[n % seeds.length]} out of its manifest.json`);
    const config = JSON.parse(await fs.readFile(path.join(saved, seed.Config), 'utf8')) as ImageConfig;
    for (const part of [config.config, config.container_config]) {
      if (part?.Labels) part.Labels['bench.n'] = String(n);
    }
    const bytes = JSON.stringify(config);
    const name = `${createHash('sha256').update(bytes).digest('hex')}.json`;
    await fs.writeFile(path.join(saved, name), bytes);
    entries.push({ Config: name, RepoTags: [tag], Layers: seed.Layers });
    recordCreatedImage(tag);
  }
  await fs.writeFile(path.join(saved, 'manifest.json'), JSON.stringify(entries));
  await fs.rm(path.join(saved, 'repositories'), { force: true });
  await runChecked('tar', ['-cf', path.join(work, 'copies.tar'), '-C', saved, '.']);
  await docker(['load', '-q', '-i', path.join(work, 'copies.tar')], { timeoutMs: 600_000 });
  await fs.rm(work, { recursive: true, force: true });
}
