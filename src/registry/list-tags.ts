/**
 * `GET /v2/<name>/tags/list`, paginated the way distribution does it: `?n=<page size>`, then
 * the `Link: <…?last=…&n=…>; rel="next"` header until there is none. The client supplies the
 * authenticated exchange; this file reads the pages.
 */
import type { ImageRef } from '../refs/image-ref.js';
import type { HttpResponse } from './http-transport.js';
import { type RegistryFailure, registryFailure } from './registry-failure.js';

/**
 * Bounds on a tag list, so a registry with millions of tags (or one that ignores `n` and sends
 * them all at once) costs a few MiB, not gigabytes. Every page's body is read as it streams in
 * and cut off at its byte bound; the listing stops at whichever total bound comes first and
 * says `truncated`. A tag that is not a valid tag (the distribution grammar: at most 128
 * characters of `[A-Za-z0-9_.-]`, not starting with `.` or `-`) is dropped.
 */
export const TAG_LIST_BOUNDS = {
  /** Tags asked for per page (`?n=`). */
  pageSize: 1000,
  /** Pages read at most. */
  maxPages: 100,
  /** Bytes of one page's body: 1000 tags of the longest kind (128 characters) take 131 KiB. */
  maxPageBytes: 1024 * 1024,
  /** Tags taken from one page; a page with more ends the listing. */
  maxPageTags: 50_000,
  /** Bytes over all pages. */
  maxTotalBytes: 16 * 1024 * 1024,
  /** Tags over all pages. */
  maxTags: 100_000,
} as const;

export interface ListTagsOptions {
  /** Pages read at most; the rest is left out and `truncated` says so. Default TAG_LIST_BOUNDS.maxPages. */
  readonly maxPages?: number;
  /** Tags asked for per page. Default TAG_LIST_BOUNDS.pageSize. */
  readonly pageSize?: number;
}

export interface TagList {
  readonly ok: true;
  /** In the registry's order (lexical for distribution), without duplicates. */
  readonly tags: string[];
  /** True when a bound (pages, tags, bytes) ended the listing early. */
  readonly truncated: boolean;
}

export interface TagPageFetcher {
  /**
   * One authenticated GET of a registry path (with query), its body read up to maxBodyBytes; a
   * RegistryFailure for transport/auth/rate-limit trouble (`tooLarge` when the body was over the bound).
   */
  get(path: string, maxBodyBytes: number): Promise<HttpResponse | RegistryFailure>;
  /** Phrases a non-200 answer. */
  statusFailure(response: HttpResponse, what: string): Promise<RegistryFailure>;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The path+query of the `rel="next"` link, or null. Only the path is kept: a registry that
 * sent an absolute URL on another host must not redirect our credentials there.
 */
export function nextPagePath(link: string | null): string | null {
  if (link === null) return null;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match === null || !/\brel\s*=\s*"?next"?/i.test(match[2] ?? '')) continue;
    try {
      const url = new URL(match[1] ?? '', 'http://registry.invalid');
      return url.pathname + url.search;
    } catch {
      return null;
    }
  }
  return null;
}

/** The `tags` array of a page as JSON.parse gave it (entries not yet checked), or null when the page is not a tag list. */
function tagsOfPage(body: unknown): readonly unknown[] | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const tags = (body as { tags?: unknown }).tags;
  if (tags === undefined || tags === null) return [];
  return Array.isArray(tags) && tags.every((tag) => typeof tag === 'string') ? tags : null;
}

export async function listTagPages(fetcher: TagPageFetcher, ref: ImageRef, options: ListTagsOptions = {}): Promise<TagList | RegistryFailure> {
  const bounds = TAG_LIST_BOUNDS;
  const maxPages = options.maxPages ?? bounds.maxPages;
  const pageSize = options.pageSize ?? bounds.pageSize;
  const what = `${ref.repository} (tag list)`;
  const prefix = `/v2/${ref.repository}/tags/list`;
  const tags = new Set<string>();
  let bytes = 0;
  let path: string | null = `${prefix}?n=${pageSize}`;
  const truncated = (): TagList => ({ ok: true, tags: [...tags], truncated: true });
  for (let page = 0; path !== null; page++) {
    if (page >= maxPages || tags.size >= bounds.maxTags) return truncated();
    if (!path.startsWith(prefix)) {
      return registryFailure('protocol', ref.registry, `the tag list of ${ref.repository} links to another path (${path})`);
    }
    const budget = Math.min(bounds.maxPageBytes, bounds.maxTotalBytes - bytes);
    if (budget <= 0) return truncated();
    const response = await fetcher.get(path, budget);
    if (!('status' in response)) {
      // Past the first page, a page over what is left of the byte bound ends the listing.
      if (response.tooLarge === true && page > 0) return truncated();
      return response;
    }
    if (response.status !== 200) return fetcher.statusFailure(response, what);
    bytes += response.body.length;
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      return registryFailure('protocol', ref.registry, `the tag list of ${ref.repository} is not JSON`);
    }
    // Checked by hand rather than by the schema: a copy of a page of 50,000 tags is not needed.
    const pageTags = tagsOfPage(body);
    if (pageTags === null) return registryFailure('protocol', ref.registry, `the tag list of ${ref.repository} is not {"name", "tags": [...]}`);
    const before = tags.size;
    const room = Math.min(bounds.maxPageTags, bounds.maxTags - tags.size);
    for (let i = 0; i < Math.min(room, pageTags.length); i++) {
      const tag = pageTags[i];
      if (typeof tag === 'string' && TAG.test(tag)) tags.add(tag);
    }
    if (pageTags.length > room) return truncated();
    const next = nextPagePath(response.headers.get('link'));
    // A registry that keeps linking to pages with nothing new would loop until maxPages.
    path = next !== null && tags.size > before ? next : null;
  }
  return { ok: true, tags: [...tags], truncated: false };
}
