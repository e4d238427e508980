/**
 * Compose services that name an existing local image are taken as the way it is built (its
 * rebuild recipe, and the word on which tag its base was) only on evidence: see
 * link/verify-build-claim. The check links once with every hint, asks each compose claim on an
 * existing image for that evidence, and links again without the claims that have none.
 */
import type { EngineClient, ImageDetails } from '../engine/docker-engine.js';
import { ENGINE_CONCURRENCY } from '../inventory/read-images.js';
import type { BuildHint, HistoryStep } from '../inventory/local-image.js';
import { type ImageLink, type LinkInput, linkImages } from '../link/link-images.js';
import { outsideRoots, rootFolders, verifyBuildClaim } from '../link/verify-build-claim.js';
import { familiarImageRef, normalizeImageRef, parseImageRef } from '../refs/image-ref.js';
import type { UnlinkedClaimReport } from '../report/check-report.js';
import { mapLimit } from '../util/map-limit.js';

export interface VerifyClaimsInput {
  readonly engine: EngineClient;
  readonly link: LinkInput;
  readonly images: readonly ImageDetails[];
  /** Absolute folders (a root that is a file counts as its folder: see {@link rootFolders}). */
  readonly roots: readonly string[];
}

function shortName(ref: string): string {
  const parsed = parseImageRef(ref);
  return parsed.ok ? familiarImageRef(parsed.ref) : ref;
}

/** Links every tagged image as linkImages does, with compose claims on existing images verified. */
export async function linkWithVerifiedClaims(input: VerifyClaimsInput): Promise<ImageLink[]> {
  const first = linkImages(input.link);
  const linkedByLink = new Set(input.link.hints.filter((hint) => hint.via === 'link').map((hint) => hint.imageRef));
  const byRef = new Map<string, ImageLink>();
  for (const link of first) {
    for (const tag of link.image.repoTags) {
      const ref = normalizeImageRef(tag);
      if (ref !== null) byRef.set(ref, link);
    }
  }
  // A `basewatch link` record settles how an image is built; an image not here yet is no takeover.
  const claims = input.link.hints.flatMap((hint) => {
    if (hint.via !== 'compose' || linkedByLink.has(hint.imageRef)) return [];
    const link = byRef.get(hint.imageRef);
    return link === undefined ? [] : [{ hint, link }];
  });
  if (claims.length === 0) return first;

  const histories = await readHistories(input, claims.flatMap(({ link }) => [link.image.id, ...(link.base?.localId ? [link.base.localId] : [])]));
  const tagsOf = new Map(input.images.map((image) => [image.id, image.repoTags]));
  const rejected = new Map<BuildHint, UnlinkedClaimReport>();
  for (const { hint, link } of claims) {
    const claim = { text: hint.text ?? null, dockerfile: hint.dockerfile, context: hint.context, buildArgs: hint.args, target: hint.target };
    const base = link.base;
    const baseId = base?.localId ?? null;
    const baseRefs = base === null ? [] : [base.ref, ...(link.candidates ?? []), ...(baseId === null ? [] : (tagsOf.get(baseId) ?? []).flatMap((tag) => normalizeImageRef(tag) ?? []))];
    const outside = outsideRoots(claim, input.roots);
    const verdict = outside !== null
      ? { ok: false as const, why: outside }
      : verifyBuildClaim(claim, {
          ownHistory: histories.get(link.image.id) ?? null,
          baseHistory: baseId === null ? null : (histories.get(baseId) ?? null),
          baseRefs,
          baseDigest: base?.digest ?? null,
        });
    if (!verdict.ok) {
      rejected.set(hint, { compose: hint.composeFile ?? '', service: hint.service ?? '', dockerfile: hint.dockerfile, reason: verdict.why });
    }
  }
  if (rejected.size === 0) return first;

  const relinked = linkImages({ ...input.link, hints: input.link.hints.filter((hint) => !rejected.has(hint)) });
  return relinked.map((link) => {
    const names = new Set(link.image.repoTags.flatMap((tag) => normalizeImageRef(tag) ?? []));
    const own = [...rejected.entries()].filter(([hint]) => names.has(hint.imageRef)).map(([, claim]) => claim);
    if (own.length === 0) return link;
    const name = link.image.repoTags[0] ?? link.image.id;
    // An unsettled base tag already ends with the same `basewatch link` command.
    const settle = link.candidates === null ? ` (if it does build it: basewatch link ${name} <its Dockerfile>)` : '';
    const notes = own.map((claim) => `${claim.compose} (service ${claim.service}) claims ${shortName(name)} but ${claim.reason}; not linked${settle}`);
    return { ...link, problem: [...notes, ...(link.problem === null ? [] : [link.problem])].join('; '), unlinkedClaims: own };
  });
}

async function readHistories(input: VerifyClaimsInput, ids: readonly string[]): Promise<Map<string, readonly string[] | null>> {
  const histories = new Map<string, readonly string[] | null>();
  await mapLimit([...new Set(ids)], ENGINE_CONCURRENCY, async (id) => {
    const known: readonly HistoryStep[] | undefined = input.link.histories.get(id);
    if (known !== undefined) {
      histories.set(id, known.map((step) => step.createdBy));
      return;
    }
    // An image removed meanwhile, or an engine hiccup: the claim is not verified, never a failed check.
    const entries = await input.engine.imageHistory(id).catch(() => null);
    histories.set(id, entries?.map((entry) => entry.createdBy) ?? null);
  });
  return histories;
}
