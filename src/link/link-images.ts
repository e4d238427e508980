/**
 * Links each tagged local image to the base image it was built on. Pure: data in, data out.
 *
 * Order of trust (design.md "Linking an image to its base"):
 *  1. OCI base labels stamped at build time. A label with a digest says exactly what the base
 *     was. A label with only a name says which tag, not which image: the local image under that
 *     tag is taken as the base only when the image's layers start with its layers (the tag may
 *     have moved on to a newer image since the build); else layer matching looks for the old
 *     image among local images of that repository; else the base is known by name only;
 *  2. buildpacks lifecycle metadata;
 *  3. layer prefix: the longest list of diff_ids of another local image (tagged, or still known
 *     by a RepoDigest) that the image's diff_ids start with. Works for plain `docker build`;
 *  4. compose: a service whose `image:` names the image gives its Dockerfile, context, args and
 *     target, and — when nothing above found the base — the Dockerfile's final base reference.
 */
import { z } from 'zod';
import {
  type ImageRef,
  familiarImageRef,
  formatImageRef,
  parseImageRef,
  repoDigestIn,
  repoDigestsIn,
  repositoryName,
  tagMatches,
} from '../refs/image-ref.js';
import type { BaseNotes, ImageBaseReport, ImageSourceReport, UnlinkedClaimReport } from '../report/check-report.js';
import { type BuildHint, type HistoryStep, type LinkableImage, isNamedImage, ownManifestDigest } from '../inventory/local-image.js';
import { compareText } from '../util/compare-text.js';

export const BASE_NAME_LABEL = 'org.opencontainers.image.base.name';
export const BASE_DIGEST_LABEL = 'org.opencontainers.image.base.digest';
export const BUILDPACKS_METADATA_LABEL = 'io.buildpacks.lifecycle.metadata';

export interface LinkInput {
  readonly images: readonly LinkableImage[];
  readonly hints: readonly BuildHint[];
  /** Histories of images whose layers equal another's; see {@link imagesNeedingHistory}. */
  readonly histories: ReadonlyMap<string, readonly HistoryStep[]>;
  /**
   * Tags earlier checks saw each base digest under (`repository@digest` → `repository:tag`, see
   * pipeline/seen-tags): the name of a base whose tag a newer pull has moved on. Default none.
   */
  readonly seenTags?: ReadonlyMap<string, readonly string[]>;
}

/** A base as linking finds it; the check adds what upstream says. */
export type LinkedBase = Omit<ImageBaseReport, keyof BaseNotes>;

export interface ImageLink {
  readonly image: LinkableImage;
  readonly base: LinkedBase | null;
  readonly source: ImageSourceReport | null;
  /** Why the image is unlinked or the link is doubtful; null when there is nothing to say. */
  readonly problem: string | null;
  /** True when the link data itself is broken (e.g. a label that is not a reference). */
  readonly broken: boolean;
  /**
   * Every name of the base image when nothing says which the build used (`node:22` and
   * `node:lts`); `base.ref` is then only the first of them, and no action may follow the link.
   */
  readonly candidates: readonly string[] | null;
  /** Images its Dockerfile copies from (see BuildHint.copySources); none when its Dockerfile is not known. */
  readonly copySources: readonly string[];
  /** Compose services naming this image that were not taken as its build (see pipeline/verify-compose-claims). */
  readonly unlinkedClaims?: readonly UnlinkedClaimReport[];
}

export function imagePlatform(image: Pick<LinkableImage, 'os' | 'architecture' | 'variant'>): string {
  return [image.os, image.architecture, image.variant].filter((part) => part !== null && part !== '').join('/');
}

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  readonly images: LinkableImage[];
}

function newNode(): TrieNode {
  return { children: new Map(), images: [] };
}

/** A trie over diff_id lists: one walk down an image's layers finds every prefix candidate. */
function buildLayerTrie(images: readonly LinkableImage[]): TrieNode {
  const root = newNode();
  for (const image of images) {
    if (!isNamedImage(image) || image.diffIds.length === 0) continue;
    let node = root;
    for (const diffId of image.diffIds) {
      let next = node.children.get(diffId);
      if (next === undefined) {
        next = newNode();
        node.children.set(diffId, next);
      }
      node = next;
    }
    if (!node.images.some((other) => other.id === image.id)) node.images.push(image);
  }
  return root;
}

function isHistoryPrefix(prefix: readonly HistoryStep[], of: readonly HistoryStep[], strict: boolean): boolean {
  if (prefix.length > of.length || (strict && prefix.length === of.length)) return false;
  return prefix.every((step, i) => step.createdBy === of[i]?.createdBy && step.created === of[i]?.created);
}

function normalisedTags(image: LinkableImage): ImageRef[] {
  return image.repoTags.flatMap((tag) => {
    const parsed = parseImageRef(tag);
    return parsed.ok ? [parsed.ref] : [];
  });
}

/**
 * What names the tag an image was built FROM, strongest first: a `basewatch link` record's
 * Dockerfile, a compose service's Dockerfile, the image's own base label, a Dockerfile its history
 * matches. Layers say which image the base was; only these say under which of its names.
 */
export interface TagEvidence {
  /** Normalised; with a digest when the Dockerfile pins one (`FROM base:tag@sha256:…`). */
  readonly ref: string;
  /** In words, for reasons: "its basewatch link", "its compose service", … */
  readonly from: string;
}

/** A matched base image as reported: its name, and what is not settled about it. */
interface NamedBase {
  readonly ref: string;
  readonly digest: string | null;
  /** The digest the build's Dockerfile pins; null when it pins none. */
  readonly pinned: string | null;
  /** Every name the base image has (or had), when nothing says which one the build used. */
  readonly candidates: readonly string[] | null;
  readonly note: string | null;
}

/** Every name of a base image: its tags, and the tags earlier checks saw its digests under. */
function namesOf(candidate: LinkableImage, seenTags: LinkInput['seenTags']): { names: ImageRef[]; seenOnly: boolean } {
  const tags = normalisedTags(candidate);
  const seen = candidate.repoDigests.flatMap((repoDigest) => {
    const parsed = parseImageRef(repoDigest);
    if (!parsed.ok || parsed.ref.digest === null) return [];
    return (seenTags?.get(`${repositoryName(parsed.ref)}@${parsed.ref.digest}`) ?? []).flatMap((tag) => {
      const ref = parseImageRef(tag);
      return ref.ok ? [ref.ref] : [];
    });
  });
  const unique = new Map<string, ImageRef>();
  for (const ref of [...tags, ...seen]) unique.set(formatImageRef({ ...ref, digest: null }), { ...ref, digest: null });
  // A name the image was pulled under (it has a RepoDigest in that repository) first: a local
  // retag is less telling. Then in a stable order.
  const names = [...unique.values()].sort((a, b) => {
    const pulled = Number(repoDigestIn(candidate.repoDigests, repositoryName(b)) !== null) - Number(repoDigestIn(candidate.repoDigests, repositoryName(a)) !== null);
    return pulled !== 0 ? pulled : compareText(formatImageRef(a), formatImageRef(b));
  });
  return { names, seenOnly: tags.length === 0 && names.length > 0 };
}

/** Names a matched base image by what the build said, else by its one name; several names and no word stay unsettled. */
function nameBase(candidate: LinkableImage, evidence: TagEvidence | null, seenTags: LinkInput['seenTags']): NamedBase {
  const { names, seenOnly } = namesOf(candidate, seenTags);
  const said = evidence === null ? null : parseImageRef(evidence.ref);
  if (said?.ok) {
    const repository = repositoryName(said.ref);
    // A nameless image on the containerd store is known by its own digest; the registry settles
    // whether the repository the build named has it.
    const digest = repoDigestIn(candidate.repoDigests, repository) ?? (isNameless(candidate) ? ownManifestDigest(candidate) : null);
    const known = names.some((name) => repositoryName(name) === repository && name.tag === said.ref.tag);
    if (said.ref.digest !== null && repoDigestsIn(candidate.repoDigests, repository).includes(said.ref.digest)) {
      // A pin the build used on purpose: the base is that digest, whatever the tag does later.
      const ref = said.ref.tag === null ? formatImageRef(said.ref) : formatImageRef({ ...said.ref, digest: null });
      return { ref, digest: said.ref.digest, pinned: said.ref.digest, candidates: null, note: null };
    }
    // The tag the build used; the image may carry it no more (a newer pull moved it), but it is
    // still known in that repository.
    if (said.ref.tag !== null && (known || digest !== null)) {
      return { ref: formatImageRef({ ...said.ref, digest: null }), digest, pinned: null, candidates: null, note: null };
    }
  }
  const [first, ...others] = names;
  if (first === undefined) {
    const repoDigest = parseImageRef(candidate.repoDigests[0] ?? '');
    if (!repoDigest.ok) {
      // Nameless on the containerd store, never seen by an earlier check: which repository, let
      // alone tag, it came from is not known here.
      const note = ownManifestDigest(candidate) === null ? null : 'its base is no longer tagged locally and no earlier check saw its name (a newer copy of the tag was probably pulled since)';
      return { ref: candidate.id, digest: null, pinned: null, candidates: null, note };
    }
    return {
      ref: formatImageRef(repoDigest.ref),
      digest: repoDigest.ref.digest,
      pinned: null,
      candidates: null,
      note: 'its base is no longer tagged locally (a newer copy of the tag was probably pulled since)',
    };
  }
  const digest = repoDigestIn(candidate.repoDigests, repositoryName(first));
  const ref = formatImageRef(first);
  if (others.length === 0) {
    const note = seenOnly ? `its base is no longer tagged locally: it was ${ref} when basewatch last saw it (a newer copy of the tag was probably pulled since)` : null;
    return { ref, digest, pinned: null, candidates: null, note };
  }
  return { ref, digest, pinned: null, candidates: names.map(formatImageRef), note: null };
}

interface LayerMatch {
  readonly candidate: LinkableImage;
  readonly ambiguousWith: readonly LinkableImage[];
}

function matchByLayers(image: LinkableImage, trie: TrieNode, histories: LinkInput['histories']): LayerMatch | null {
  const path: TrieNode[] = [];
  let node: TrieNode | undefined = trie;
  for (const diffId of image.diffIds) {
    node = node.children.get(diffId);
    if (node === undefined) break;
    path.push(node);
  }
  const ownHistory = histories.get(image.id);
  for (let depth = path.length - 1; depth >= 0; depth--) {
    const equalLayers = depth === image.diffIds.length - 1;
    let candidates = (path[depth]?.images ?? []).filter((other) => other.id !== image.id);
    if (candidates.length === 0) continue;
    // Equal layer lists: only a strictly shorter matching history proves which came first.
    // Several candidates of the same depth: the history prefix tells which one the build used.
    if (equalLayers || candidates.length > 1) {
      const byHistory = candidates.filter((other) => {
        const history = histories.get(other.id);
        return ownHistory !== undefined && history !== undefined && isHistoryPrefix(history, ownHistory, equalLayers);
      });
      if (equalLayers || byHistory.length > 0) candidates = byHistory;
    }
    // Still tied: an image known to a registry (it has a RepoDigest) is likelier the base
    // than one built locally.
    const pulled = candidates.filter((candidate) => candidate.repoDigests.length > 0);
    if (pulled.length > 0 && pulled.length < candidates.length) candidates = pulled;
    const [first, ...rest] = candidates;
    if (first !== undefined) return { candidate: first, ambiguousWith: rest };
  }
  return null;
}

const BuildpacksMetadata = z.object({
  runImage: z
    .object({ topLayer: z.string().optional(), reference: z.string().optional(), image: z.string().optional() })
    .optional(),
  stack: z.object({ runImage: z.object({ image: z.string().optional() }).optional() }).optional(),
});

function linkByBuildpacks(raw: string): { ref: string; digest: string | null } | string {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return `label ${BUILDPACKS_METADATA_LABEL} is not valid JSON`;
  }
  const metadata = BuildpacksMetadata.safeParse(json);
  if (!metadata.success) return `label ${BUILDPACKS_METADATA_LABEL} does not have the lifecycle's shape`;
  const runImage = metadata.data.runImage;
  const name = runImage?.image ?? metadata.data.stack?.runImage?.image;
  if (name === undefined || name === '') return `label ${BUILDPACKS_METADATA_LABEL} names no run image`;
  const parsed = parseImageRef(name);
  if (!parsed.ok) return `label ${BUILDPACKS_METADATA_LABEL} names an invalid run image: ${parsed.error}`;
  // runImage.reference is "<repo>@sha256:…" after a publish, or a local image id after a daemon build.
  const reference = runImage?.reference ?? '';
  const at = reference.lastIndexOf('@');
  const digest = at >= 0 ? reference.slice(at + 1) : parsed.ref.digest;
  return { ref: formatImageRef({ ...parsed.ref, digest: null }), digest };
}

/**
 * Whether `image` was built on `base`: its layers start with all of the base's and, when both
 * histories are known (see {@link imagesNeedingHistory}), its history starts with the base's.
 */
function isBuiltOn(image: LinkableImage, base: LinkableImage, histories: LinkInput['histories']): boolean {
  if (base.id === image.id || base.diffIds.length > image.diffIds.length) return false;
  if (!base.diffIds.every((diffId, i) => image.diffIds[i] === diffId)) return false;
  const own = histories.get(image.id);
  const theirs = histories.get(base.id);
  return own === undefined || theirs === undefined || isHistoryPrefix(theirs, own, false);
}

/**
 * Whether a local image is known under the repository: a tag in it, or a RepoDigest left from a
 * pull or push. An image a pull left without any name on the containerd store may be: its own
 * digest is what it was pulled by, and the registry settles whether the repository has it.
 */
function isOfRepository(image: LinkableImage, repository: string): boolean {
  if (isNameless(image)) return ownManifestDigest(image) !== null;
  return repoDigestIn(image.repoDigests, repository) !== null || normalisedTags(image).some((tag) => repositoryName(tag) === repository);
}

function isNameless(image: LinkableImage): boolean {
  return image.repoTags.length === 0 && image.repoDigests.length === 0;
}

/**
 * A nameless image on the containerd store (a pull moved its tag on: `moby-dangling@…`) gets back
 * the RepoDigests the classic store keeps: `repository@<its id>` for each repository earlier checks
 * saw that digest in (pipeline/seen-tags). On Podman, where such an image keeps no name either and
 * its id is its config digest, the RepoDigests an earlier check saw it by (keyed by its id).
 */
function withSeenRepoDigests(image: LinkableImage, seenTags: LinkInput['seenTags']): LinkableImage {
  if (!isNameless(image) || seenTags === undefined) return image;
  const own = ownManifestDigest(image);
  // Podman drops every name of the old image, RepoDigests too; its id is what a check recorded.
  const repoDigests = own === null ? (seenTags.get(image.id) ?? []).filter((name) => name.includes('@')) : [...seenTags.keys()].filter((key) => key.endsWith(`@${own}`));
  return repoDigests.length === 0 ? image : { ...image, repoDigests };
}

/**
 * A base label with a name and no digest. The tag names the base the image was built on, but
 * the local image under that tag now may be a newer one (the user pulled or built the tag
 * again): comparing that one with upstream would say "current" for an image still on the old
 * base. So the tag's image counts only when the image's layers start with it; else the old base
 * is looked for by layers among the images of that repository (an untagged one keeps its
 * RepoDigest after a newer pull); else nothing local is the base, and the check cannot compare.
 */
function linkByLabelName(
  image: LinkableImage,
  ref: ImageRef,
  input: LinkInput,
  trie: TrieNode,
): { base: LinkedBase; problem: string | null } {
  const name = formatImageRef(ref);
  const repository = repositoryName(ref);
  const tagged = input.images.find((other) => other.repoTags.some((tag) => tagMatches(tag, name)));
  if (tagged !== undefined && isBuiltOn(image, tagged, input.histories)) {
    return { base: { ref: name, digest: null, via: 'label', latest: null, localId: tagged.id }, problem: null };
  }
  const match = matchByLayers(image, trie, input.histories);
  const candidates = (match === null ? [] : [match.candidate, ...match.ambiguousWith]).filter(
    (other) => isOfRepository(other, repository) && isBuiltOn(image, other, input.histories),
  );
  const [found, ...others] = candidates;
  const moved = tagged === undefined ? null : `the local ${familiarImageRef(ref)} is another image than the one it was built on (its layers do not start with that image's)`;
  if (found !== undefined) {
    const notes = [moved === null ? null : `${moved}; linked by layers to ${found.repoTags[0] ?? shortId(found.id)}`];
    if (others.length > 0) notes.push(`layers match ${others.map((other) => other.repoTags[0] ?? shortId(other.id)).join(', ')} equally well`);
    const problem = notes.filter((note): note is string => note !== null).join('; ');
    return {
      base: { ref: name, digest: repoDigestIn(found.repoDigests, repository) ?? (isNameless(found) ? ownManifestDigest(found) : null), via: 'label', latest: null, localId: found.id },
      problem: problem === '' ? null : problem,
    };
  }
  return { base: { ref: name, digest: null, via: 'label', latest: null, localId: null }, problem: moved };
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function findLocalBase(images: readonly LinkableImage[], ref: string, digest: string | null): string | null {
  const parsed = parseImageRef(ref);
  if (!parsed.ok) return null;
  const repository = repositoryName(parsed.ref);
  if (digest !== null) {
    const byDigest = images.find((image) => repoDigestsIn(image.repoDigests, repository).includes(digest));
    if (byDigest !== undefined) return byDigest.id;
    // A different digest means the local tag is not what the image was built on.
    return null;
  }
  const byTag = images.find((image) => image.repoTags.some((tag) => tagMatches(tag, ref)));
  return byTag?.id ?? null;
}

function sourceFromHint(hint: BuildHint): ImageSourceReport {
  return {
    dockerfile: hint.dockerfile,
    context: hint.context,
    target: hint.target,
    compose: hint.composeFile,
    service: hint.service,
    args: hint.args,
  };
}

/** Why a base named by several tags is not settled, and the command that settles it. */
function unsettledTag(image: LinkableImage, candidates: readonly string[]): string {
  const shown = candidates.map((ref) => {
    const parsed = parseImageRef(ref);
    return parsed.ok ? familiarImageRef(parsed.ref) : ref;
  });
  const name = image.repoTags[0] ?? image.id;
  return `its base image is tagged ${shown.join(' and ')}, and nothing says which tag it was built FROM; say which with \`basewatch link ${name} <its Dockerfile>\``;
}

/**
 * A base label copied from the parent image (Docker copies every label of the FROM image) speaks
 * of the parent's base, not of this image's: the image's layers start with a local image that
 * carries the very same base labels.
 */
function inheritsBaseLabels(image: LinkableImage, match: LayerMatch | null): boolean {
  if (match === null) return false;
  const parent = match.candidate;
  return parent.labels[BASE_NAME_LABEL] === image.labels[BASE_NAME_LABEL] && parent.labels[BASE_DIGEST_LABEL] === image.labels[BASE_DIGEST_LABEL];
}

const UNLINKED =
  'no base found: no base labels, no other local image whose layers it starts with, and no compose service that builds it';

/** Links every tagged image. Untagged images serve only as candidate bases. */
export function linkImages(given: LinkInput): ImageLink[] {
  const input = { ...given, images: given.images.map((image) => withSeenRepoDigests(image, given.seenTags)) };
  const trie = buildLayerTrie(input.images);
  const links: ImageLink[] = [];
  for (const image of input.images) {
    if (image.repoTags.length === 0) continue;
    const names = new Set(normalisedTags(image).map(formatImageRef));
    // The user's `basewatch link` outranks a compose service that builds the same image.
    const hints = input.hints.filter((hint) => names.has(hint.imageRef)).sort((a, b) => Number(b.via === 'link') - Number(a.via === 'link'));
    const hint = hints[0] ?? null;
    const source = hint === null ? null : sourceFromHint(hint);
    const notes: string[] = [];
    const otherServices = hints.slice(1).filter((other) => other.via === 'compose');
    if (otherServices.length > 0) {
      notes.push(`also built by ${otherServices.map((h) => `${h.composeFile} (service ${h.service})`).join(', ')}`);
    }
    let candidates: readonly string[] | null = null;
    const done = (base: LinkedBase | null, problem: string | null, broken = false): void => {
      const all = [problem, ...notes].filter((text): text is string => text !== null);
      links.push({ image, base, source, problem: all.length > 0 ? all.join('; ') : null, broken, candidates, copySources: hint?.copySources ?? [] });
    };

    const match = matchByLayers(image, trie, input.histories);
    const labelName = image.labels[BASE_NAME_LABEL];
    if (labelName !== undefined && labelName !== '' && !inheritsBaseLabels(image, match)) {
      const parsed = parseImageRef(labelName);
      if (!parsed.ok) {
        done(null, `label ${BASE_NAME_LABEL} is not a valid reference: ${parsed.error}`, true);
        continue;
      }
      // A digest label copied from the parent (its own base's digest) under a name of this image's own says nothing of this base.
      const parentDigest = match?.candidate.labels[BASE_DIGEST_LABEL];
      const ownDigest = parentDigest !== undefined && parentDigest === image.labels[BASE_DIGEST_LABEL] ? '' : image.labels[BASE_DIGEST_LABEL];
      const digest = ownDigest || parsed.ref.digest;
      const ref = formatImageRef({ ...parsed.ref, digest: null });
      if (digest !== null) {
        done({ ref, digest, via: 'label', latest: null, localId: findLocalBase(input.images, ref, digest) }, null);
      } else {
        const linked = linkByLabelName(image, { ...parsed.ref, digest: null }, input, trie);
        done(linked.base, linked.problem);
      }
      continue;
    }

    const buildpacks = image.labels[BUILDPACKS_METADATA_LABEL];
    if (buildpacks !== undefined) {
      const linked = linkByBuildpacks(buildpacks);
      if (typeof linked === 'string') {
        done(null, linked, true);
      } else {
        const localId = findLocalBase(input.images, linked.ref, linked.digest);
        done({ ...linked, via: 'buildpacks', latest: null, localId }, null);
      }
      continue;
    }

    if (match !== null) {
      const evidence = hint?.baseRef ? { ref: hint.baseRef, from: hint.via === 'link' ? 'its basewatch link' : 'its compose service' } : null;
      const named = nameBase(match.candidate, evidence, input.seenTags);
      if (match.ambiguousWith.length > 0) {
        const others = match.ambiguousWith.map((other) => other.repoTags[0] ?? other.id).join(', ');
        notes.push(`layers match ${others} equally well`);
      }
      if (named.note !== null) notes.push(named.note);
      candidates = named.candidates;
      const problem = candidates === null ? null : unsettledTag(image, candidates);
      done({ ref: named.ref, digest: named.digest, via: 'layers', latest: null, localId: match.candidate.id, ...(named.pinned !== null ? { pinned: named.pinned } : {}) }, problem);
      continue;
    }

    const hinted = hint?.baseRef ? parseImageRef(hint.baseRef) : null;
    if (hinted?.ok) {
      // A pinned FROM (`image:tag@sha256:…`) says exactly what the image was built on.
      const ref = hinted.ref.tag === null ? formatImageRef(hinted.ref) : formatImageRef({ ...hinted.ref, digest: null });
      done(
        { ref, digest: hinted.ref.digest, via: 'compose', latest: null, localId: null, ...(hinted.ref.digest !== null ? { pinned: hinted.ref.digest } : {}) },
        'no local image holds the layers it was built on; the base comes from its Dockerfile',
      );
      continue;
    }
    done(null, UNLINKED);
  }
  return links;
}
