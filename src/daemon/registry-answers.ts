/**
 * What the registries last answered, kept by the daemon for its life, so an edited Dockerfile's
 * verdicts come at once from those answers (issue 14: a file edit is a small event) instead of
 * waiting behind a cycle that asks again. Each cycle's registry client is wrapped to remember
 * its answers; the replaying client answers from them and never goes to the network. A question
 * no cycle asked yet is answered with a failure that says so: the files cycle queued behind the
 * edit asks it.
 */
import { formatImageRef } from '../refs/image-ref.js';
import type { ImageRef } from '../refs/image-ref.js';
import type { ListTagsOptions, TagList } from '../registry/list-tags.js';
import type { FetchedManifest, ManifestHead, RegistryClient } from '../registry/registry-client.js';
import { type RegistryFailure, registryFailure } from '../registry/registry-failure.js';

type Answer = ManifestHead | FetchedManifest | TagList | { readonly ok: true; readonly bytes: Buffer } | RegistryFailure;

/** Failures that say nothing about the image (the network, a busy registry): not an answer to keep. */
const PASSING: ReadonlySet<RegistryFailure['kind']> = new Set(['unreachable', 'timeout', 'rate-limited']);

/** Answers kept at most; the oldest go first. A daemon's bases are far fewer. */
const MAX_ANSWERS = 10_000;

const keyOf = (what: string, ref: ImageRef, extra = ''): string => `${what} ${formatImageRef(ref)} ${extra}`;

export class RegistryAnswers {
  readonly #answers = new Map<string, Answer>();

  get size(): number {
    return this.#answers.size;
  }

  /** `client`, noting every answer it gets. */
  remembering(client: RegistryClient): RegistryClient {
    const note = async <T extends Answer>(key: string, asked: Promise<T>): Promise<T> => {
      const answer = await asked;
      if (answer.ok || !PASSING.has(answer.kind)) this.#keep(key, answer);
      return answer;
    };
    return {
      headManifest: (ref) => note(keyOf('head', ref), client.headManifest(ref)),
      getManifest: (ref) => note(keyOf('get', ref), client.getManifest(ref)),
      getBlob: (ref, digest) => note(keyOf('blob', ref, digest), client.getBlob(ref, digest)),
      listTags: (ref, options) => note(keyOf('tags', { ...ref, tag: null, digest: null }, tagListKey(options)), client.listTags(ref, options)),
      rateLimits: () => client.rateLimits(),
      close: () => client.close(),
    };
  }

  /** A client that answers from what was noted and asks no registry. */
  replaying(): RegistryClient {
    const recall = <T extends Answer>(key: string, ref: ImageRef): Promise<T | RegistryFailure> =>
      Promise.resolve((this.#answers.get(key) as T | undefined) ?? registryFailure('unreachable', ref.registry, 'not asked yet; the next check asks it'));
    return {
      headManifest: (ref) => recall<ManifestHead>(keyOf('head', ref), ref),
      getManifest: (ref) => recall<FetchedManifest>(keyOf('get', ref), ref),
      getBlob: (ref, digest) => recall<{ readonly ok: true; readonly bytes: Buffer }>(keyOf('blob', ref, digest), ref),
      listTags: (ref, options) => recall<TagList>(keyOf('tags', { ...ref, tag: null, digest: null }, tagListKey(options)), ref),
      rateLimits: () => [],
      close: () => Promise.resolve(),
    };
  }

  #keep(key: string, answer: Answer): void {
    this.#answers.delete(key);
    this.#answers.set(key, answer);
    if (this.#answers.size > MAX_ANSWERS) this.#answers.delete(this.#answers.keys().next().value!);
  }
}

function tagListKey(options: ListTagsOptions | undefined): string {
  return `${options?.maxPages ?? ''}/${options?.pageSize ?? ''}`;
}
