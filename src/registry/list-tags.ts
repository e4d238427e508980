/**
 * `GET /v2/<name>/tags/list`, paginated the way distribution does it: `?n=<page size>`, then
 * the `Link: <…?last=…&n=…>; rel="next"` header until there is none. The client supplies the
 * authenticated exchange; this file reads the pages.
 */
import { z } from 'zod';
import type { ImageRef } from '../refs/image-ref.js';
import type { HttpResponse } from './http-transport.js';
import { type RegistryFailure, registryFailure } from './registry-failure.js';

export const TagListPage = z.object({
  name: z.string().optional(),
  // distribution answers `"tags": null` for a repository whose tags were all deleted.
  tags: z.array(z.string()).nullable().optional(),
});
export type TagListPage = z.infer<typeof TagListPage>;

export interface ListTagsOptions {
  /** Pages read at most; the rest is left out and `truncated` says so. Default 50. */
  readonly maxPages?: number;
  /** Tags asked for per page. Default 1000. */
  readonly pageSize?: number;
}

export interface TagList {
  readonly ok: true;
  /** In the registry's order (lexical for distribution), without duplicates. */
  readonly tags: string[];
  /** True when maxPages ended the listing early. */
  readonly truncated: boolean;
}

export interface TagPageFetcher {
  /** One authenticated GET of a registry path (with query); a RegistryFailure for transport/auth/rate-limit trouble. */
  get(path: string): Promise<HttpResponse | RegistryFailure>;
  /** Phrases a non-200 answer. */
  statusFailure(response: HttpResponse, what: string): Promise<RegistryFailure>;
}

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

export async function listTagPages(fetcher: TagPageFetcher, ref: ImageRef, options: ListTagsOptions = {}): Promise<TagList | RegistryFailure> {
  const maxPages = options.maxPages ?? 50;
  const pageSize = options.pageSize ?? 1000;
  const what = `${ref.repository} (tag list)`;
  const prefix = `/v2/${ref.repository}/tags/list`;
  const tags = new Set<string>();
  let path: string | null = `${prefix}?n=${pageSize}`;
  for (let page = 0; path !== null; page++) {
    if (page >= maxPages) return { ok: true, tags: [...tags], truncated: true };
    if (!path.startsWith(prefix)) {
      return registryFailure('protocol', ref.registry, `the tag list of ${ref.repository} links to another path (${path})`);
    }
    const response = await fetcher.get(path);
    if (!('status' in response)) return response;
    if (response.status !== 200) return fetcher.statusFailure(response, what);
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString('utf8'));
    } catch {
      return registryFailure('protocol', ref.registry, `the tag list of ${ref.repository} is not JSON`);
    }
    const parsed = TagListPage.safeParse(body);
    if (!parsed.success) return registryFailure('protocol', ref.registry, `the tag list of ${ref.repository} is not {"name", "tags": [...]}`);
    const before = tags.size;
    for (const tag of parsed.data.tags ?? []) tags.add(tag);
    const next = nextPagePath(response.headers.get('link'));
    // A registry that keeps linking to pages with nothing new would loop until maxPages.
    path = next !== null && tags.size > before ? next : null;
  }
  return { ok: true, tags: [...tags], truncated: false };
}
