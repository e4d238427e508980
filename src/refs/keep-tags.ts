/**
 * basewatch's own tags that keep an image a rebase, rebuild or rollback moved away from reachable
 * for `basewatch rollback` (and safe from `docker image prune`). They are not the user's names.
 */
const KEEP_REPOSITORY = 'basewatch-rollback';

/** `basewatch-rollback:<12 hex of the image id>`: one per kept image, valid as a Docker reference. */
export function keepTagFor(imageId: string): string {
  return `${KEEP_REPOSITORY}:${imageId.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** Our own keep tags are not the user's names: never linked, reported, moved or matched. */
export function isKeepTag(tag: string): boolean {
  return tag.startsWith(`${KEEP_REPOSITORY}:`) || tag.startsWith(`docker.io/library/${KEEP_REPOSITORY}:`);
}

export function withoutKeepTags(tags: readonly string[]): string[] {
  return tags.filter((tag) => !isKeepTag(tag));
}
