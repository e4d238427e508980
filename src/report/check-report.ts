/**
 * The report `basewatch check` produces and `--json` prints. This shape is a public contract
 * (documented in the README): add fields, never rename or remove one.
 *
 * The zod schemas are the source; each type is named after its schema (`CheckReport` is both).
 * A stored report (the state file, the daemon's answers) is read back through them at the edge.
 * The key order of each object is the order its JSON is written in (a parsed report is stored
 * in the state file), so keep it. `.readonly()` matches the types the code has always used; it
 * also freezes what a parse returns.
 */
import { z } from 'zod';

const Digest = z.string();

export const ImageStatus = z.enum(['current', 'outdated', 'unlinked', 'unknown', 'error']);
export type ImageStatus = z.infer<typeof ImageStatus>;

export const BaseStatus = z.enum(['current', 'outdated', 'unknown', 'error']);
export type BaseStatus = z.infer<typeof BaseStatus>;

/** How the link from an image to its base was found, most trustworthy first. */
export const LinkVia = z.enum(['label', 'buildpacks', 'layers', 'compose', 'recorded']);
export type LinkVia = z.infer<typeof LinkVia>;

export const EngineReport = z
  .object({
    host: z.string(),
    /** Where the endpoint came from: "DOCKER_HOST", "default socket", a context name… */
    source: z.string(),
    apiVersion: z.string(),
    serverVersion: z.string(),
  })
  .readonly();
export type EngineReport = z.infer<typeof EngineReport>;

export const NewerTagReport = z.object({ tag: z.string(), kind: z.enum(['patch', 'minor', 'major']) }).readonly();
export type NewerTagReport = z.infer<typeof NewerTagReport>;

export const EolReport = z
  .object({
    product: z.string(),
    label: z.string(),
    cycle: z.string(),
    /** YYYY-MM-DD, or null when not announced. */
    eol: z.string().nullable(),
    /** past: ended; soon: within 60 days; ok: later. */
    status: z.enum(['past', 'soon', 'ok']),
    successor: z.string().nullable(),
    via: z.enum(['image', 'os']),
    message: z.string(),
  })
  .readonly();
export type EolReport = z.infer<typeof EolReport>;

/** Beside the digest state: newer version tags of the same flavour, and end of life. */
export const BaseNotes = z
  .object({
    /** Newer tags of the same flavour, newest first; null when not asked (offline) or the listing failed. */
    newer: z.array(NewerTagReport).readonly().nullable(),
    /** Why `newer` is null or may be stale (a registry failure), else null. */
    newerReason: z.string().nullable(),
    eol: EolReport.nullable(),
  })
  .readonly();
export type BaseNotes = z.infer<typeof BaseNotes>;

/** One name of a base image whose tag is not settled, and what that name did upstream. */
export const BaseCandidateReport = z
  .object({
    ref: z.string(),
    latest: Digest.nullable(),
    status: BaseStatus,
    reason: z.string(),
  })
  .readonly();
export type BaseCandidateReport = z.infer<typeof BaseCandidateReport>;

export const ImageBaseReport = z
  .object({
    /** Normalised reference of the base, e.g. docker.io/library/python:3.12-slim. */
    ref: z.string(),
    /** Manifest digest of the base the image was built on, when known. */
    digest: Digest.nullable(),
    via: LinkVia,
    /** Upstream digest for this platform; null until checked (always null with --offline). */
    latest: Digest.nullable(),
    /** Local image id of the base, when the base is present in the engine. */
    localId: z.string().nullable(),
    /**
     * The digest the image's Dockerfile pins its base to (`FROM base:tag@sha256:…`): a decision,
     * so the image is current with respect to it, and only policy `pin` or `rebase --to` moves it.
     * Absent when the Dockerfile pins nothing or is not known (and in reports of older versions).
     */
    pinned: Digest.nullable().optional(),
    /**
     * Present when the base image carries several names and nothing says which one the build
     * used: each name and what it did upstream. `ref` is then the first of them; no policy acts
     * on the image until a `basewatch link` or a base label settles it.
     */
    candidates: z.array(BaseCandidateReport).readonly().optional(),
    /**
     * Present when the base is a local image with a base of its own (a company base): its name. The
     * image's status is then through that chain ("waits on corp/base:1, which is behind …").
     */
    waitsOn: z.string().optional(),
    ...BaseNotes.unwrap().shape,
  })
  .readonly();
export type ImageBaseReport = z.infer<typeof ImageBaseReport>;

export const ImageSourceReport = z
  .object({
    dockerfile: z.string().nullable(),
    context: z.string().nullable(),
    target: z.string().nullable(),
    compose: z.string().nullable(),
    service: z.string().nullable(),
    args: z.record(z.string(), z.string()).readonly(),
  })
  .readonly();
export type ImageSourceReport = z.infer<typeof ImageSourceReport>;

/**
 * The Dockerfile a plain `docker build` image looks built from (its history matches that file's
 * steps, and no other file's). Only a suggestion: nothing is linked until the user runs `command`.
 */
export const SuggestedLinkReport = z
  .object({
    /** Absolute path. */
    dockerfile: z.string(),
    /** Absolute path of the context the command links (the Dockerfile's folder). */
    context: z.string(),
    /** The Dockerfile as `command` names it: relative to the folder basewatch ran in (`./api/Dockerfile`), else absolute. */
    shown: z.string(),
    /** The `basewatch link …` command that records it. */
    command: z.string(),
  })
  .readonly();
export type SuggestedLinkReport = z.infer<typeof SuggestedLinkReport>;

/**
 * A compose service that names the image but is not taken as the way it is built: its history
 * does not match the service's Dockerfile, or the Dockerfile or context is outside the roots.
 */
export const UnlinkedClaimReport = z
  .object({
    /** Absolute path of the compose file. */
    compose: z.string(),
    service: z.string(),
    /** Absolute path; null for dockerfile_inline. */
    dockerfile: z.string().nullable(),
    /** Why it is not linked ("its history does not match"). */
    reason: z.string(),
  })
  .readonly();
export type UnlinkedClaimReport = z.infer<typeof UnlinkedClaimReport>;

export const ImageReport = z
  .object({
    /** The first tag, as Docker prints it. */
    name: z.string(),
    tags: z.array(z.string()).readonly(),
    id: z.string(),
    platform: z.string(),
    base: ImageBaseReport.nullable(),
    source: ImageSourceReport.nullable(),
    /**
     * Present only when `source` is unknown and exactly one Dockerfile under the roots matches
     * the image's history. Optional also because reports of older versions (and daemons) have none.
     */
    suggestedLink: SuggestedLinkReport.optional(),
    /**
     * Present when its Dockerfile copies from other images (`COPY --from=<image>`, `RUN
     * --mount=from=<image>`): each one, compared as a plain build would use it (its local copy).
     * One that moved makes the image outdated, and only a rebuild picks it up.
     */
    copySources: z.array(BaseCandidateReport).readonly().optional(),
    /**
     * Present when compose services name this existing image without evidence that they build it:
     * none of them is used to rebuild it or to name its base (`basewatch link` settles it).
     */
    unlinkedClaims: z.array(UnlinkedClaimReport).readonly().optional(),
    status: ImageStatus,
    reason: z.string(),
    /** When upstream was last asked about its base (ISO 8601), or null. */
    checkedAt: z.string().nullable(),
    /** Present (true) when the status is `unknown` because a registry rate-limited the check. */
    rateLimited: z.literal(true).optional(),
  })
  .readonly();
export type ImageReport = z.infer<typeof ImageReport>;

export const DockerfileBaseReport = z
  .object({
    ref: z.string(),
    /** How the file uses the image: `FROM`, `COPY --from`, `RUN --mount=from`. */
    kind: z.enum(['from', 'copy-from', 'mount-from']),
    line: z.number(),
    stage: z.string().nullable(),
    /** True for the FROM the built image rests on (the final/target stage's base). */
    final: z.boolean(),
    /** The digest the file pins (`@sha256:…`), or null. */
    pinned: Digest.nullable(),
    platform: z.string().nullable(),
    /** Digest of the local copy of that reference (what a plain `docker build` would use), or null. */
    local: Digest.nullable(),
    latest: Digest.nullable(),
    status: BaseStatus,
    reason: z.string(),
    checkedAt: z.string().nullable(),
    /** Present (true) when the status is `unknown` because a registry rate-limited the check. */
    rateLimited: z.literal(true).optional(),
    ...BaseNotes.unwrap().shape,
  })
  .readonly();
export type DockerfileBaseReport = z.infer<typeof DockerfileBaseReport>;

export const FileError = z.object({ line: z.number().nullable(), message: z.string() }).readonly();
export type FileError = z.infer<typeof FileError>;

export const DockerfileReport = z
  .object({
    path: z.string(),
    bases: z.array(DockerfileBaseReport).readonly(),
    errors: z.array(FileError).readonly(),
    /** Compose services that build from this file: "<compose file>#<service>". */
    usedBy: z.array(z.string()).readonly(),
  })
  .readonly();
export type DockerfileReport = z.infer<typeof DockerfileReport>;

export const ComposeServiceReport = z
  .object({
    name: z.string(),
    image: z.string().nullable(),
    dockerfile: z.string().nullable(),
    context: z.string().nullable(),
    target: z.string().nullable(),
    args: z.record(z.string(), z.string()).readonly(),
  })
  .readonly();
export type ComposeServiceReport = z.infer<typeof ComposeServiceReport>;

export const ComposeReport = z
  .object({
    path: z.string(),
    project: z.string(),
    services: z.array(ComposeServiceReport).readonly(),
    errors: z.array(FileError).readonly(),
  })
  .readonly();
export type ComposeReport = z.infer<typeof ComposeReport>;

export const ReportError = z
  .object({
    /** What the error is about: a path, an image, "engine", a registry host. */
    where: z.string(),
    message: z.string(),
  })
  .readonly();
export type ReportError = z.infer<typeof ReportError>;

export const RegistryReport = z
  .object({
    registry: z.string(),
    /** Docker Hub style pull budget, as last seen in `ratelimit-*` headers. */
    limit: z.number(),
    remaining: z.number(),
    windowSeconds: z.number().nullable(),
    seenAt: z.string(),
  })
  .readonly();
export type RegistryReport = z.infer<typeof RegistryReport>;

/**
 * Something the `ignore` setting keeps out of the report: never checked upstream, never acted on
 * or notified about; counted (and listed by `--all`), nothing more.
 */
export const IgnoredReport = z
  .object({
    kind: z.enum(['image', 'dockerfile', 'base']),
    /** The image's first tag, the Dockerfile's path, or the base reference. */
    name: z.string(),
    /** The `ignore` glob that matched (for a Dockerfile: the one of the ignored image it builds). */
    glob: z.string(),
  })
  .readonly();
export type IgnoredReport = z.infer<typeof IgnoredReport>;

export const CheckReport = z
  .object({
    engine: EngineReport.nullable(),
    offline: z.boolean(),
    roots: z.array(z.string()).readonly(),
    images: z.array(ImageReport).readonly(),
    dockerfiles: z.array(DockerfileReport).readonly(),
    compose: z.array(ComposeReport).readonly(),
    /** Rate-limit budgets the registries reported during this check. */
    registries: z.array(RegistryReport).readonly(),
    errors: z.array(ReportError).readonly(),
    /** What `ignore` left out. Optional: reports of older versions have none. */
    ignored: z.array(IgnoredReport).readonly().optional(),
  })
  .readonly();
export type CheckReport = z.infer<typeof CheckReport>;
