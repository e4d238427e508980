/**
 * Whether a compose service that names an existing local image really builds it. A compose file
 * under a watched folder can name any image (`image: victim:1`) with a build of its own; taken on
 * its word it would become the recipe `update` and the daemon rebuild that image from (issue 17's
 * takeover). It counts only on evidence: the image's own history (after its base's) is that
 * Dockerfile's, step by step (the matcher `check` uses for suggestions), on a base its FROM names,
 * and its Dockerfile and context lie under the watched roots. Pure: data in, data out.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { isWithin } from '../util/path-within.js';
import { buildSteps, historyMatchesSteps, readHistoryEntry, restsOnBase } from './suggest-dockerfile.js';

export interface BuildClaim {
  /** The Dockerfile's text (read from disk, or compose's dockerfile_inline); null when unreadable. */
  readonly text: string | null;
  /** Absolute; null for dockerfile_inline. */
  readonly dockerfile: string | null;
  /** Absolute path of the build context. */
  readonly context: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly target: string | null;
}

export interface ClaimedImage {
  /** The image's history (`created_by`), oldest first; null when it could not be read. */
  readonly ownHistory: readonly string[] | null;
  /** The history of the local image its layers link it to; null when no local image is its base. */
  readonly baseHistory: readonly string[] | null;
  /** Names that base is known by (the linked reference, its tags). */
  readonly baseRefs: readonly string[];
  readonly baseDigest: string | null;
}

export type ClaimVerdict = { readonly ok: true } | { readonly ok: false; readonly why: string };

const BASE_LABEL_KEY = /^org\.opencontainers\.image\.base\.[a-z]+$/;

/**
 * The classic builder records the labels of a build request (`docker build --label`, and the base
 * labels basewatch stamps on what it rebuilds) as one more `LABEL` entry after the Dockerfile's.
 */
function isStampedBaseLabels(createdBy: string): boolean {
  const entry = readHistoryEntry(createdBy);
  if (entry.keyword !== 'LABEL') return false;
  const keys = [...entry.body.matchAll(/(?:^|\s)"?([^\s="]+)"?=/g)].map((match) => match[1] ?? '');
  return keys.length > 0 && keys.every((key) => BASE_LABEL_KEY.test(key));
}

/** The folders the roots stand for: a root that is a single file (a compose file) stands for its folder. */
export async function rootFolders(roots: readonly string[]): Promise<string[]> {
  return Promise.all(
    roots.map(async (root) => {
      const stat = await fs.stat(root).catch(() => null);
      return stat !== null && !stat.isDirectory() ? path.dirname(root) : root;
    }),
  );
}

/** Why a claim falls outside the roots, or null when its Dockerfile and context are under one. */
export function outsideRoots(claim: Pick<BuildClaim, 'dockerfile' | 'context'>, roots: readonly string[]): string | null {
  const under = (file: string): boolean => roots.some((root) => isWithin(file, root));
  if (!under(claim.context)) return `its build context ${claim.context} is outside the watched folders`;
  if (claim.dockerfile !== null && !under(claim.dockerfile)) return `its Dockerfile ${claim.dockerfile} is outside the watched folders`;
  return null;
}

/** Whether the image's own history is what this build leaves: see the module comment. */
export function verifyBuildClaim(claim: BuildClaim, image: ClaimedImage): ClaimVerdict {
  if (claim.text === null) return { ok: false, why: 'its Dockerfile cannot be read' };
  const built = buildSteps(claim.text, { buildArgs: claim.buildArgs, target: claim.target });
  if (built === null) return { ok: false, why: 'its Dockerfile builds no stage basewatch can follow' };
  if (image.ownHistory === null) return { ok: false, why: 'the image\'s history could not be read' };
  let base: readonly string[] = [];
  if (built.baseRef !== null) {
    if (image.baseHistory === null) return { ok: false, why: 'no local image is the base it was built on, so its history cannot be matched' };
    if (!restsOnBase({ baseRef: built.baseRef }, image.baseRefs, image.baseDigest)) {
      return { ok: false, why: `its Dockerfile is built FROM ${built.baseRef}, and the image is not built on that` };
    }
    base = image.baseHistory;
  }
  const own = image.ownHistory;
  if (base.length > own.length || !base.every((entry, i) => own[i] === entry)) {
    return { ok: false, why: 'its history does not start with its base\'s' };
  }
  let rest = own.slice(base.length);
  while (rest.length > built.steps.length && isStampedBaseLabels(rest.at(-1) ?? '')) rest = rest.slice(0, -1);
  return historyMatchesSteps(rest, built.steps) ? { ok: true } : { ok: false, why: 'its history does not match' };
}

