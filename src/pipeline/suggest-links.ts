/**
 * Suggests `basewatch link IMAGE DOCKERFILE` for images built with plain `docker build`: linked
 * to their base by layers, but to no Dockerfile. Histories are read only for images that some
 * Dockerfile under the roots could have built (same base), so a check stays fast.
 */
import path from 'node:path';
import type { EngineClient, ImageDetails } from '../engine/docker-engine.js';
import { ENGINE_CONCURRENCY } from '../inventory/read-images.js';
import type { DockerfileReading } from '../inventory/read-projects.js';
import type { ImageLink } from '../link/link-images.js';
import type { HistoryStep } from '../inventory/local-image.js';
import { type DockerfileSteps, dockerfileSteps, restsOnBase, suggestDockerfile } from '../link/suggest-dockerfile.js';
import { type BuildLink, findBuildLink } from '../inventory/build-link.js';
import { normalizeImageRef } from '../refs/image-ref.js';
import type { SuggestedLinkReport } from '../report/check-report.js';
import { mapLimit } from '../util/map-limit.js';

export interface SuggestLinksInput {
  readonly engine: EngineClient;
  readonly links: readonly ImageLink[];
  readonly images: readonly ImageDetails[];
  readonly dockerfiles: readonly DockerfileReading[];
  /** Histories already read for the linker; others are read here. */
  readonly histories: ReadonlyMap<string, readonly HistoryStep[]>;
  /** Images `basewatch link` already knows how to build: nothing to suggest for them. */
  readonly buildLinks: readonly BuildLink[];
  /** Folder the command's paths are relative to (the user's shell); absolute paths when null. */
  readonly displayCwd: string | null;
}

/** `'…'`-quotes a word a shell would split or expand. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `file` as typed from `cwd`: `./…` below it, else as it is. */
export function shownPath(file: string, cwd: string | null): string {
  if (cwd === null) return file;
  const relative = path.relative(cwd, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : `.${path.sep}${relative}`;
}

/** Image id → the link to suggest; images with no single matching Dockerfile are absent. */
export async function suggestLinks(input: SuggestLinksInput): Promise<Map<string, SuggestedLinkReport>> {
  const plans = input.dockerfiles.flatMap((reading) => (reading.text === null ? [] : (dockerfileSteps(reading.path, reading.text) ?? [])));
  const byId = new Map(input.images.map((image) => [image.id, image]));
  const candidates: Array<{ link: ImageLink; baseId: string; baseRefs: string[]; plans: DockerfileSteps[] }> = [];
  for (const link of input.links) {
    const base = link.base;
    if (link.source !== null || base === null || base.localId === null) continue;
    if (findBuildLink(input.buildLinks, link.image.repoTags) !== null) continue;
    // The base may be tagged more than once; the Dockerfile may name it by any of those tags.
    const baseTags = byId.get(base.localId)?.repoTags.flatMap((tag) => normalizeImageRef(tag) ?? []) ?? [];
    const baseRefs = [base.ref, ...baseTags];
    const onBase = plans.filter((plan) => restsOnBase(plan, baseRefs, base.digest));
    if (onBase.length > 0) candidates.push({ link, baseId: base.localId, baseRefs, plans: onBase });
  }
  const suggestions = new Map<string, SuggestedLinkReport>();
  if (candidates.length === 0) return suggestions;

  const wanted = [...new Set(candidates.flatMap((candidate) => [candidate.link.image.id, candidate.baseId]))];
  const histories = new Map<string, readonly string[] | null>();
  await mapLimit(wanted, ENGINE_CONCURRENCY, async (id) => {
    const known = input.histories.get(id);
    if (known !== undefined) {
      histories.set(id, known.map((step) => step.createdBy));
      return;
    }
    // An image removed meanwhile, or an engine hiccup: no suggestion for it, never a failed check.
    const entries = await input.engine.imageHistory(id).catch(() => null);
    histories.set(id, entries?.map((entry) => entry.createdBy) ?? null);
  });

  for (const { link, baseId, baseRefs, plans: onBase } of candidates) {
    const own = histories.get(link.image.id);
    const base = histories.get(baseId);
    if (own == null || base == null || !base.every((entry, i) => own[i] === entry)) continue;
    const match = suggestDockerfile({ baseRefs, baseDigest: link.base?.digest ?? null, ownHistory: own.slice(base.length) }, onBase);
    if (match === null) continue;
    const shown = shownPath(match.path, input.displayCwd);
    const name = link.image.repoTags[0] ?? link.image.id;
    suggestions.set(link.image.id, {
      dockerfile: match.path,
      context: path.dirname(match.path),
      shown,
      command: `basewatch link ${shellWord(name)} ${shellWord(shown)}`,
    });
  }
  return suggestions;
}
