/**
 * Docker Hub's names, in one place: the name references use (`docker.io`), the host its API is
 * served from, the legacy index host, and the key the Docker CLI stores its credentials under.
 * References, credentials and endpoints all treat the three host names as one registry.
 */

/** The registry name of Docker Hub in normalised references: `docker.io/library/python:3`. */
export const DOCKER_HUB = 'docker.io';

/** Where Docker Hub's registry API is served from. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** The legacy index host; still accepted in references and config.json keys. */
export const DOCKER_HUB_INDEX_HOST = 'index.docker.io';

/** The key Docker uses for Docker Hub in config.json and with credential helpers. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set([DOCKER_HUB, DOCKER_HUB_INDEX_HOST, DOCKER_HUB_API_HOST]);

/**
 * True when `host` is one of Docker Hub's host names. Exact match: callers that treat host
 * names case-insensitively lower-case first (reference parsing, like Docker's, does not).
 */
export function isDockerHubHost(host: string): boolean {
  return DOCKER_HUB_HOSTS.has(host);
}
