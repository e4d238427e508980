/**
 * The tags basewatch has seen each base digest under. After `docker pull python:3.12-slim` moves
 * the tag on, the image an app was built on keeps only its digest (`python@sha256:…`); nothing in
 * the engine says which tag that was, so the app could not be compared with upstream. Earlier
 * checks saw it: an image's base named with its tag and digest, a Dockerfile's local copy, or the
 * registry answering for a tag with that digest.
 */
import { formatImageRef, parseImageRef, repositoryName } from '../refs/image-ref.js';
import { type State, peekState } from '../record/state-store.js';

/**
 * Pure: `repository@digest` → the `repository:tag`s it was seen under, from what the state
 * recorded, first seen first. An image tagged both `node:22` and `node:lts` was seen under both.
 * Also a base image's id (`sha256:…`, no `@`) → the `repository@digest`s it was seen as.
 */
export function seenTagsFrom(state: State): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const add = (ref: string, digest: string | null): void => {
    if (digest === null) return;
    const parsed = parseImageRef(ref);
    if (!parsed.ok || parsed.ref.tag === null) return;
    const key = `${repositoryName(parsed.ref)}@${digest}`;
    // An image's own base record is the most telling, so it goes first.
    const tags = seen.get(key) ?? [];
    const tag = formatImageRef({ ...parsed.ref, digest: null });
    if (!tags.includes(tag)) seen.set(key, [...tags, tag]);
  };
  const report = state.lastCheck?.report;
  for (const image of report?.images ?? []) if (image.base !== null) add(image.base.ref, image.base.digest);
  // Podman: a pull that moves a tag leaves the old image with no name at all in the Docker API (no
  // RepoDigest either), so it is known only by its id: `sha256:<id>` → the `repository@digest` a
  // check saw it as. The linker gives it that name back (link/link-images withSeenRepoDigests).
  for (const image of report?.images ?? []) {
    const base = image.base;
    if (base?.localId == null || base.digest === null) continue;
    const parsed = parseImageRef(base.ref);
    if (!parsed.ok) continue;
    const name = `${repositoryName(parsed.ref)}@${base.digest}`;
    const names = seen.get(base.localId) ?? [];
    if (!names.includes(name)) seen.set(base.localId, [...names, name]);
  }
  for (const file of report?.dockerfiles ?? []) for (const base of file.bases) add(base.ref, base.local);
  for (const record of Object.values(state.upstream)) {
    add(record.ref, record.digest);
    add(record.ref, record.platformDigest);
  }
  return seen;
}

/** The same from the state file; empty when there is none or it does not parse. */
export async function readSeenTags(stateFile: string): Promise<Map<string, string[]>> {
  const state = await peekState(stateFile);
  return state === null ? new Map() : seenTagsFrom(state);
}
