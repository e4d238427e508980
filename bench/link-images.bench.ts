/**
 * Linking cost on a large engine: the trie walk in linkImages against the obvious baseline,
 * comparing every image with every named image (pairwise prefix scan), in the same run.
 */
import { performance } from 'node:perf_hooks';
import { linkImages } from '../src/link/link-images.js';
import { type LinkableImage } from '../src/inventory/local-image.js';

function layer(n: number): string {
  return `sha256:${n.toString(16).padStart(64, '0')}`;
}

/** `bases` base images, each with `appsPerBase` apps of 1-4 extra layers; some bases stacked on others. */
export function syntheticEngine(bases: number, appsPerBase: number): LinkableImage[] {
  const images: LinkableImage[] = [];
  let next = 1;
  const common = { labels: {}, os: 'linux', architecture: 'amd64', variant: null };
  const baseLayers: string[][] = [];
  for (let b = 0; b < bases; b++) {
    // Every fourth base builds on an earlier one, as python builds on debian.
    const under = b % 4 === 3 ? (baseLayers[b - 1] ?? []) : [];
    const layers = [...under, ...Array.from({ length: 3 + (b % 5) }, () => layer(next++))];
    baseLayers.push(layers);
    images.push({ ...common, id: `sha256:base${b}`, repoTags: [`base${b}:1`], repoDigests: [`base${b}@${layer(next++)}`], diffIds: layers });
  }
  for (let b = 0; b < bases; b++) {
    for (let a = 0; a < appsPerBase; a++) {
      const layers = [...(baseLayers[b] ?? []), ...Array.from({ length: 1 + (a % 4) }, () => layer(next++))];
      images.push({ ...common, id: `sha256:app${b}-${a}`, repoTags: [`app${b}-${a}:dev`], repoDigests: [], diffIds: layers });
    }
  }
  return images;
}

/** The baseline: for each image, test every other named image's layer list as a prefix. */
export function pairwiseLink(images: readonly LinkableImage[]): Map<string, string | null> {
  const result = new Map<string, string | null>();
  for (const image of images) {
    let best: LinkableImage | null = null;
    for (const other of images) {
      if (other.id === image.id || other.diffIds.length >= image.diffIds.length) continue;
      if (other.repoTags.length === 0 && other.repoDigests.length === 0) continue;
      if (!other.diffIds.every((diffId, i) => image.diffIds[i] === diffId)) continue;
      if (best === null || other.diffIds.length > best.diffIds.length) best = other;
    }
    result.set(image.id, best?.id ?? null);
  }
  return result;
}

function timeIt(fn: () => void, minMs = 300): number {
  fn();
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    fn();
    runs++;
  }
  return (performance.now() - start) / runs;
}

export function runLinkBench(): string[] {
  const lines: string[] = [];
  for (const [bases, apps] of [[50, 4], [200, 10]] as const) {
    const images = syntheticEngine(bases, apps);
    // Same answers first: a fast wrong linker is no result.
    const fast = new Map(linkImages({ images, hints: [], histories: new Map() }).map((link) => [link.image.id, link.base?.localId ?? null]));
    const slow = pairwiseLink(images);
    for (const [id, base] of slow) {
      if (fast.get(id) !== base) throw new Error(`linkers disagree on ${id}: ${fast.get(id)} vs ${base}`);
    }
    const trie = timeIt(() => linkImages({ images, hints: [], histories: new Map() }));
    const pairwise = timeIt(() => pairwiseLink(images));
    lines.push(
      `link ${images.length} images: trie ${trie.toFixed(2)} ms, pairwise baseline ${pairwise.toFixed(2)} ms, ` +
        `ratio ${(pairwise / trie).toFixed(1)}x faster (${((trie / images.length) * 1000).toFixed(1)} us per image)`,
    );
  }
  return lines;
}
