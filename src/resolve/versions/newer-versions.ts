/**
 * Newer version tags of a base, from the registry's tag list. Listing tags is expensive (Docker
 * Hub's python repository has thousands), so each repository's list is cached in the cache
 * folder and asked for at most once per schedule period; a failed listing falls back to the
 * last list we have, if any.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { readBoundedFile, setFileAsideWithNotice } from '../../util/read-bounded-file.js';
import { type ImageRef, repositoryName } from '../../refs/image-ref.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import type { RegistryFailure } from '../../registry/registry-failure.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { SingleFlight } from '../../util/single-flight.js';
import { type NewerTag, proposeNewerTags } from './propose-newer.js';
import type { AllowedVersions } from '../../refs/version-range.js';
import { parseVersionTag } from '../../refs/version-tag.js';

export const TAG_CACHE_FOLDER = 'tags';

const TagCacheFile = z.object({
  version: z.literal(1),
  repository: z.string(),
  fetchedAt: z.iso.datetime(),
  truncated: z.boolean(),
  tags: z.array(z.string()),
});
type TagCacheFile = z.infer<typeof TagCacheFile>;

export interface NewerVersionsOptions {
  /** `basewatchPaths().cache`; the lists go to `<cacheDir>/tags/`. */
  readonly cacheDir: string;
  /** The schedule period: a list younger than this is not fetched again. */
  readonly periodSeconds: number;
  readonly now: Date;
  /** The base's `allowedVersions`, when a rule matches it. */
  readonly allowed?: AllowedVersions | null;
  readonly includePrerelease?: boolean;
  /** Passed to listTags. Default TAG_LIST_BOUNDS.maxPages. */
  readonly maxPages?: number;
}

export interface NewerVersions {
  readonly ok: true;
  /** Newest first; empty when the tag is not a version or nothing newer exists. */
  readonly proposals: NewerTag[];
  /** True when no request was made (fresh cache), or the request failed and an older list was used. */
  readonly fromCache: boolean;
  /** When the list used was fetched. */
  readonly listedAt: string;
  /** Set when the registry failed and an older list was used instead. */
  readonly warning: string | null;
}

/** The cache file of one repository: a hash, so any registry/repository name is a safe file name. */
export function tagCacheFile(cacheDir: string, ref: ImageRef): string {
  const key = createHash('sha256').update(repositoryName(ref)).digest('hex').slice(0, 32);
  return path.join(cacheDir, TAG_CACHE_FOLDER, `${key}.json`);
}

async function readCache(file: string, repository: string): Promise<TagCacheFile | null> {
  // Bounded, regular files only: a FIFO or /dev/zero in place of a cache must not hang a check.
  const read = await readBoundedFile(file, 'cache');
  if (!read.ok) {
    // Only a cache: a wrong one is set aside and asked for again.
    if (read.problem === 'not-regular' || read.problem === 'too-large') await setFileAsideWithNotice(file, 'tag cache', read.message);
    return null;
  }
  const text = read.text;
  try {
    const parsed = TagCacheFile.safeParse(JSON.parse(text));
    // A hash collision or a hand-edited file: treat as absent, it is only a cache.
    return parsed.success && parsed.data.repository === repository ? parsed.data : null;
  } catch {
    return null;
  }
}

interface TagListing {
  readonly list: TagCacheFile;
  readonly fromCache: boolean;
  readonly warning: string | null;
}

/**
 * One listing per repository at a time for each registry client: two bases of python in one check
 * share it. Per client, not per process: the daemon re-reads an edited file with a client that
 * answers from memory while a cycle's request to a registry that hangs is in flight, and must not
 * wait on that request.
 */
const inFlight = new WeakMap<RegistryClient, SingleFlight<TagListing | RegistryFailure>>();

function flightsOf(client: RegistryClient): SingleFlight<TagListing | RegistryFailure> {
  let flights = inFlight.get(client);
  if (flights === undefined) {
    flights = new SingleFlight<TagListing | RegistryFailure>();
    inFlight.set(client, flights);
  }
  return flights;
}

async function tagList(client: RegistryClient, ref: ImageRef, options: NewerVersionsOptions): Promise<TagListing | RegistryFailure> {
  const file = tagCacheFile(options.cacheDir, ref);
  const repository = repositoryName(ref);
  const cached = await readCache(file, repository);
  const ageMs = cached === null ? Number.POSITIVE_INFINITY : options.now.getTime() - Date.parse(cached.fetchedAt);
  // A clock that went backwards makes a negative age: refetch rather than trust it forever.
  if (cached !== null && ageMs >= 0 && ageMs < options.periodSeconds * 1000) return { list: cached, fromCache: true, warning: null };
  const listed = await client.listTags(ref, options.maxPages === undefined ? {} : { maxPages: options.maxPages });
  if (!listed.ok) {
    if (cached === null) return listed;
    return { list: cached, fromCache: true, warning: `${listed.message} (using the tag list from ${cached.fetchedAt})` };
  }
  // Only version tags can ever be proposed: `latest`, `bookworm` and the digests-as-tags of
  // signatures and attestations (`sha256-….sig`) are not kept.
  const tags = listed.tags.filter((tag) => parseVersionTag(tag) !== null);
  const list: TagCacheFile = { version: 1, repository, fetchedAt: options.now.toISOString(), truncated: listed.truncated, tags };
  await writeFileAtomic(file, `${JSON.stringify(list)}\n`);
  return { list, fromCache: false, warning: null };
}

/**
 * Proposals for `ref`'s tag (see proposeNewerTags). A tag that is not a version costs no
 * request. Registry failures are values; a failure with an older cached list answers from it.
 */
export async function findNewerVersions(client: RegistryClient, ref: ImageRef, options: NewerVersionsOptions): Promise<NewerVersions | RegistryFailure> {
  if (ref.tag === null || parseVersionTag(ref.tag) === null) {
    return { ok: true, proposals: [], fromCache: true, listedAt: options.now.toISOString(), warning: null };
  }
  const key = tagCacheFile(options.cacheDir, ref);
  const result = await flightsOf(client).run(key, () => tagList(client, ref, options));
  if ('ok' in result) return result;
  const proposals = proposeNewerTags(ref.tag, result.list.tags, { allowed: options.allowed ?? null, includePrerelease: options.includePrerelease ?? false });
  return { ok: true, proposals, fromCache: result.fromCache, listedAt: result.list.fetchedAt, warning: result.warning };
}
