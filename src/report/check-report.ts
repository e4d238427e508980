/**
 * The report `basewatch check` produces and `--json` prints. This shape is a public contract
 * (documented in the README): add fields, never rename or remove one.
 */

export type ImageStatus = 'current' | 'outdated' | 'unlinked' | 'unknown' | 'error';
export type BaseStatus = 'current' | 'outdated' | 'unknown' | 'error';

/** How the link from an image to its base was found, most trustworthy first. */
export type LinkVia = 'label' | 'buildpacks' | 'layers' | 'compose' | 'recorded';

export interface EngineReport {
  readonly host: string;
  /** Where the endpoint came from: "DOCKER_HOST", "default socket", a context name… */
  readonly source: string;
  readonly apiVersion: string;
  readonly serverVersion: string;
}

export interface NewerTagReport {
  readonly tag: string;
  readonly kind: 'patch' | 'minor' | 'major';
}

export interface EolReport {
  readonly product: string;
  readonly label: string;
  readonly cycle: string;
  /** YYYY-MM-DD, or null when not announced. */
  readonly eol: string | null;
  /** past: ended; soon: within 60 days; ok: later. */
  readonly status: 'past' | 'soon' | 'ok';
  readonly successor: string | null;
  readonly via: 'image' | 'os';
  readonly message: string;
}

/** Beside the digest state: newer version tags of the same flavour, and end of life. */
export interface BaseNotes {
  /** Newer tags of the same flavour, newest first; null when not asked (offline) or the listing failed. */
  readonly newer: readonly NewerTagReport[] | null;
  /** Why `newer` is null or may be stale (a registry failure), else null. */
  readonly newerReason: string | null;
  readonly eol: EolReport | null;
}

export interface ImageBaseReport extends BaseNotes {
  /** Normalised reference of the base, e.g. docker.io/library/python:3.12-slim. */
  readonly ref: string;
  /** Manifest digest of the base the image was built on, when known. */
  readonly digest: string | null;
  readonly via: LinkVia;
  /** Upstream digest for this platform; null until checked (always null with --offline). */
  readonly latest: string | null;
  /** Local image id of the base, when the base is present in the engine. */
  readonly localId: string | null;
  /**
   * The digest the image's Dockerfile pins its base to (`FROM base:tag@sha256:…`): a decision, so
   * the image is current with respect to it, and only policy `pin` or `rebase --to` moves it.
   * Absent or null when the Dockerfile pins nothing (or is not known).
   */
  readonly pinned?: string | null;
  /**
   * Present when the base image carries several names and nothing says which one the build used:
   * each name and what it did upstream. `ref` is then the first of them; no policy acts on the
   * image until a `basewatch link` or a base label settles it.
   */
  readonly candidates?: readonly BaseCandidateReport[];
}

export interface BaseCandidateReport {
  readonly ref: string;
  readonly latest: string | null;
  readonly status: BaseStatus;
  readonly reason: string;
}

export interface ImageSourceReport {
  readonly dockerfile: string | null;
  readonly context: string | null;
  readonly target: string | null;
  readonly compose: string | null;
  readonly service: string | null;
  readonly args: Readonly<Record<string, string>>;
}

/**
 * The Dockerfile a plain `docker build` image looks built from (its history matches that file's
 * steps, and no other file's). Only a suggestion: nothing is linked until the user runs `command`.
 */
export interface SuggestedLinkReport {
  /** Absolute path. */
  readonly dockerfile: string;
  /** Absolute path of the context the command links (the Dockerfile's folder). */
  readonly context: string;
  /** The Dockerfile as `command` names it: relative to the folder basewatch ran in (`./api/Dockerfile`), else absolute. */
  readonly shown: string;
  /** The `basewatch link …` command that records it. */
  readonly command: string;
}

export interface ImageReport {
  /** The first tag, as Docker prints it. */
  readonly name: string;
  readonly tags: readonly string[];
  readonly id: string;
  readonly platform: string;
  readonly base: ImageBaseReport | null;
  readonly source: ImageSourceReport | null;
  /** Present only when `source` is unknown and exactly one Dockerfile under the roots matches the image's history. */
  readonly suggestedLink?: SuggestedLinkReport;
  readonly status: ImageStatus;
  readonly reason: string;
  /** When upstream was last asked about its base (ISO 8601), or null. */
  readonly checkedAt: string | null;
}

export interface DockerfileBaseReport extends BaseNotes {
  readonly ref: string;
  /** How the file uses the image: `FROM`, `COPY --from`, `RUN --mount=from`. */
  readonly kind: 'from' | 'copy-from' | 'mount-from';
  readonly line: number;
  readonly stage: string | null;
  /** True for the FROM the built image rests on (the final/target stage's base). */
  readonly final: boolean;
  /** The digest the file pins (`@sha256:…`), or null. */
  readonly pinned: string | null;
  readonly platform: string | null;
  /** Digest of the local copy of that reference (what a plain `docker build` would use), or null. */
  readonly local: string | null;
  readonly latest: string | null;
  readonly status: BaseStatus;
  readonly reason: string;
  readonly checkedAt: string | null;
}

export interface FileError {
  readonly line: number | null;
  readonly message: string;
}

export interface DockerfileReport {
  readonly path: string;
  readonly bases: readonly DockerfileBaseReport[];
  readonly errors: readonly FileError[];
  /** Compose services that build from this file: "<compose file>#<service>". */
  readonly usedBy: readonly string[];
}

export interface ComposeServiceReport {
  readonly name: string;
  readonly image: string | null;
  readonly dockerfile: string | null;
  readonly context: string | null;
  readonly target: string | null;
  readonly args: Readonly<Record<string, string>>;
}

export interface ComposeReport {
  readonly path: string;
  readonly project: string;
  readonly services: readonly ComposeServiceReport[];
  readonly errors: readonly FileError[];
}

export interface ReportError {
  /** What the error is about: a path, an image, "engine", a registry host. */
  readonly where: string;
  readonly message: string;
}

export interface RegistryReport {
  readonly registry: string;
  /** Docker Hub style pull budget, as last seen in `ratelimit-*` headers. */
  readonly limit: number;
  readonly remaining: number;
  readonly windowSeconds: number | null;
  readonly seenAt: string;
}

export interface CheckReport {
  readonly engine: EngineReport | null;
  readonly offline: boolean;
  readonly roots: readonly string[];
  readonly images: readonly ImageReport[];
  readonly dockerfiles: readonly DockerfileReport[];
  readonly compose: readonly ComposeReport[];
  /** Rate-limit budgets the registries reported during this check. */
  readonly registries: readonly RegistryReport[];
  readonly errors: readonly ReportError[];
}
