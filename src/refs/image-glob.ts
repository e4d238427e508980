/**
 * Image globs as users write them in `ignore` and `policies`: `app:*`, `ghcr.io/me/*`, `*:dev`.
 * `*` matches any run of characters (slashes included), `?` one character. A glob without a
 * registry matches Docker Hub short names as Docker prints them (`python:3.12`), and Podman's
 * `localhost/` names.
 */
function globToRegExp(glob: string): RegExp {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

export function matchesImageGlob(glob: string, tags: readonly string[]): boolean {
  const pattern = globToRegExp(glob);
  // "app" means every tag of app, as `docker images app` does.
  const bare = glob.includes(':') || glob.endsWith('*') ? null : globToRegExp(`${glob}:*`);
  return tags.some((tag) => {
    const names = [tag, tag.replace(/^localhost\//, ''), tag.replace(/^docker\.io\/(library\/)?/, '')];
    return names.some((name) => pattern.test(name) || (bare?.test(name) ?? false));
  });
}
