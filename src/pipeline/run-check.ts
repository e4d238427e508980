/**
 * `basewatch check`: inventory -> link -> (upstream) -> report. The daemon and the CLI both call
 * this; it prints nothing and never exits: failures of parts (a file, the engine, a registry)
 * land in the report.
 */
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { type ConnectOptions, connectEngine } from '../engine/connect.js';
import type { EngineClient, ImageDetails } from '../engine/docker-engine.js';
import { findProjectFiles } from '../inventory/find-project-files.js';
import { readLocalImages } from '../inventory/read-images.js';
import type { ImageListMemo } from '../inventory/image-list-memo.js';
import { type ImageFactsShelf, withRememberedHistories } from '../inventory/image-facts-cache.js';
import { type DockerfileReading, hintsFromBuildLinks, readProjects } from '../inventory/read-projects.js';
import { ProjectFileCache } from '../inventory/project-file-cache.js';
import { type ImageLink, imagePlatform } from '../link/link-images.js';
import { familiarImageRef, formatImageRef, normalizeImageRef, parseImageRef, repoDigestIn, repositoryName, tagMatches } from '../refs/image-ref.js';
import { dockerCredentials } from '../registry/credentials.js';
import type { BuildLink } from '../inventory/build-link.js';
import { type PlatformSpec, hostPlatform } from '../refs/platform.js';
import { type RegistryClient, createRegistryClient } from '../registry/registry-client.js';
import type {
  CheckReport,
  DockerfileBaseReport,
  DockerfileReport,
  EngineReport,
  ImageBaseReport,
  ImageReport,
  IgnoredReport,
  ReportError,
  SuggestedLinkReport,
} from '../report/check-report.js';
import { type UpstreamChecker, type UpstreamObservation, createUpstreamChecker, parsePlatform } from '../resolve/check-upstream.js';
import { type BaseNoter, createBaseNoter } from '../resolve/base-notes.js';
import { verdictsThroughChains } from '../resolve/chain-verdicts.js';
import { localCopyOf } from './local-copy.js';
import { suggestLinks } from './suggest-links.js';
import { rootFolders } from '../link/verify-build-claim.js';
import { linkWithVerifiedClaims } from './verify-compose-claims.js';
import { scopeDockerfiles, scopeImages } from './scope.js';
import { didYouMean } from '../refs/closest-names.js';
import { compareText } from '../util/compare-text.js';

export interface CheckOptions {
  /** Folders (or single files) to scan; relative paths resolve against `cwd`; none: no scan. */
  readonly roots: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly offline: boolean;
  readonly settings: Settings;
  /** Where tag lists and the refreshed end-of-life table are cached. */
  readonly cacheDir: string;
  /** Only report these images (tags, names or ids); all tagged images when empty. */
  readonly images?: readonly string[];
  /**
   * With `images`: also the images built on one of them. Default false. An engine event for a
   * base that was just pulled or re-tagged re-checks what sits on it, not only the base.
   */
  readonly withDependents?: boolean;
  /** Tags earlier checks saw base digests under (pipeline/seen-tags); default none. */
  readonly seenTags?: ReadonlyMap<string, readonly string[]>;
  readonly connect?: ConnectOptions;
  /**
   * The engine the caller connects to (the cycle's own), or its connection under way; when that
   * fails the report says why, as for a connection of the check's own. Default: connect with `connect`.
   */
  readonly engine?: EngineClient | Promise<EngineClient>;
  /** The cycle's registry client, closed by the caller; default: one of the check's own, from settings. */
  readonly registry?: RegistryClient;
  /** Links `basewatch link` recorded; images with one get no suggested link. Default none. */
  readonly buildLinks?: readonly BuildLink[];
  /**
   * The folder a person typed the command in: suggested `basewatch link` commands name Dockerfiles
   * relative to it. Default none (absolute paths, right from anywhere: what a daemon wants).
   */
  readonly displayCwd?: string;
  /** Called as work progresses, for a terminal's progress line. */
  readonly onProgress?: (message: string) => void;
  /** What earlier checks learned of each image ID (inventory/image-facts-cache); default none. */
  readonly imageFacts?: ImageFactsShelf;
  /** The project files read before, and their parses (inventory/project-file-cache); default none. */
  readonly projectFiles?: ProjectFileCache;
  /**
   * The project files under the roots as a watcher already knows them: no scan of the folders.
   * Default: scan the roots.
   */
  readonly projectFileList?: { readonly dockerfiles: readonly string[]; readonly composeFiles: readonly string[] };
  /**
   * The daemon's last image list (inventory/image-list-memo): a cycle lists and keeps it
   * (`listing: 'fresh'`), an edit reuses it while no engine event came (`'current'`). Default: list.
   */
  readonly imageList?: { readonly memo: ImageListMemo; readonly listing: 'fresh' | 'current' };
  /**
   * Only the images these files (absolute paths) build, and these image ids, get verdicts (an
   * edit: see daemon/quick-recheck builtFrom); every image is still linked, so which ones those
   * are is as a full check says. Default: all selected images.
   */
  readonly onlyBuiltFrom?: { readonly files: ReadonlySet<string>; readonly images: ReadonlySet<string> };
}

/** Pure: does this link come from one of `files` (its build, its compose service, the Dockerfile its history matches)? */
export function linkBuiltFrom(link: ImageLink, suggestion: SuggestedLinkReport | undefined, files: ReadonlySet<string>): boolean {
  const source = link.source;
  return (source?.dockerfile != null && files.has(source.dockerfile))
    || (source?.compose != null && files.has(source.compose))
    || (suggestion !== undefined && files.has(suggestion.dockerfile));
}

export interface CheckResult {
  readonly report: CheckReport;
  /** Tag resolutions made, for the state's "first seen" record. */
  readonly observations: readonly UpstreamObservation[];
  /**
   * The links the report was made from, one per reported image, and every local image read: the
   * act step works from these (a rebase never links again, so it acts on what was reported).
   */
  readonly links: readonly ImageLink[];
  readonly localImages: readonly ImageDetails[];
  /** The engine the check read, for the act step to go on with; null when none answered. */
  readonly engine: EngineClient | null;
}

const OFFLINE_REASON = 'not checked upstream (offline)';

function joinReasons(...parts: Array<string | null | undefined>): string {
  return parts.filter((part): part is string => part !== null && part !== undefined && part !== '').join('; ');
}

async function imageReport(
  link: ImageLink,
  checker: UpstreamChecker | null,
  noter: BaseNoter,
  suggestedLink: SuggestedLinkReport | undefined,
  baseImage: ImageDetails | null,
  configOf: ConfigOf,
  images: readonly ImageDetails[] | null,
): Promise<ImageReport> {
  const report = await baseReport(link, checker, noter, suggestedLink, baseImage, configOf);
  return withCopySources(report, link, checker, images, configOf);
}

/**
 * The images its Dockerfile copies from are bases too: each is compared as a plain build would
 * use it (its local copy of the tag). One that moved makes the image outdated, also one built
 * FROM scratch that nothing else links; the plan then rebuilds it (a rebase cannot refresh it).
 */
async function withCopySources(
  report: ImageReport,
  link: ImageLink,
  checker: UpstreamChecker | null,
  images: readonly ImageDetails[] | null,
  configOf: ConfigOf,
): Promise<ImageReport> {
  if (link.copySources.length === 0 || checker === null) return report;
  const { image } = link;
  const platform: PlatformSpec = { os: image.os, architecture: image.architecture, variant: image.variant };
  const sources = await Promise.all(
    link.copySources.map(async (ref) => {
      const local = images === null ? null : localCopyOf(images, ref);
      const verdict = await checker.check(ref, platform, { digest: local?.digest ?? null, configDigest: await configOf(local?.image ?? null, local?.digest ?? null) });
      if (local === null && verdict.latest !== null) {
        return { ref, latest: verdict.latest, status: 'unknown' as const, reason: 'not present locally: a build pulls the current upstream image' };
      }
      return { ref, latest: verdict.latest, status: verdict.status, reason: verdict.reason };
    }),
  );
  const short = (ref: string): string => {
    const parsed = parseImageRef(ref);
    return parsed.ok ? familiarImageRef(parsed.ref) : ref;
  };
  const moved = sources.filter((source) => source.status === 'outdated');
  const copies = `copies from ${sources.map((source) => short(source.ref)).join(', ')}`;
  if (moved.length > 0) {
    const why = `copies from ${moved.map((source) => short(source.ref)).join(', ')}, which moved upstream: only a rebuild picks that up`;
    const own = report.base === null ? null : report.reason;
    return { ...report, copySources: sources, status: 'outdated', reason: joinReasons(own, why) };
  }
  if (report.base === null && report.status === 'unlinked') {
    // FROM scratch, say: the copy sources are all it is built on.
    const status = sources.every((source) => source.status === 'current') ? 'current' : 'unknown';
    return { ...report, copySources: sources, status, reason: status === 'current' ? `${copies}, each current upstream` : `${copies}; ${sources.map((s) => `${short(s.ref)}: ${s.reason}`).join('; ')}` };
  }
  return { ...report, copySources: sources };
}

async function baseReport(
  link: ImageLink,
  checker: UpstreamChecker | null,
  noter: BaseNoter,
  suggestedLink: SuggestedLinkReport | undefined,
  baseImage: ImageDetails | null,
  configOf: ConfigOf,
): Promise<ImageReport> {
  const { image } = link;
  const base = link.base === null ? null : { ...link.base, ...(await noter.notes(link.base.ref)) };
  const common = {
    name: image.repoTags[0] ?? image.id,
    tags: image.repoTags,
    id: image.id,
    platform: imagePlatform(image),
    source: link.source,
    ...(suggestedLink !== undefined ? { suggestedLink } : {}),
    ...(link.unlinkedClaims !== undefined ? { unlinkedClaims: link.unlinkedClaims } : {}),
  };
  if (base === null) {
    return { ...common, base, status: link.broken ? 'error' : 'unlinked', reason: link.problem ?? '', checkedAt: null };
  }
  if (checker === null) {
    return { ...common, base, status: 'unknown', reason: joinReasons(OFFLINE_REASON, link.problem), checkedAt: null };
  }
  if (/^sha256:[0-9a-f]{64}$/.test(base.ref)) {
    // Linked by layers to a base known only by its image id (on the containerd store, nameless
    // after a pull, and never seen by an earlier check): no registry can be asked about it.
    return { ...common, base, status: 'unknown', reason: joinReasons('the name of the base is not known, so it cannot be compared', link.problem), checkedAt: null };
  }
  const platform: PlatformSpec = { os: image.os, architecture: image.architecture, variant: image.variant };
  if (link.candidates !== null) return unsettledReport(link, base, common, checker, baseImage, configOf);
  const verdict = await checker.check(base.ref, platform, { digest: base.digest, configDigest: await configOf(baseImage, base.digest) });
  if (base.pinned != null) {
    // A pin is the user's decision: the image is what its Dockerfile asks for. Whether the tag
    // moved on is worth saying, not acting on (policy pin edits the file; rebase --to moves it).
    const tagMoved = verdict.status === 'outdated' ? `; the tag has moved on (${verdict.reason}): policy pin updates the pin, basewatch rebase --to moves the image` : '';
    return {
      ...common,
      base: { ...base, latest: verdict.latest },
      status: 'current',
      reason: joinReasons(`pinned by its Dockerfile to ${base.pinned}${tagMoved}`, link.problem),
      checkedAt: verdict.checkedAt,
    };
  }
  return {
    ...common,
    base: { ...base, latest: verdict.latest },
    status: verdict.status,
    reason: joinReasons(verdict.reason, link.problem),
    checkedAt: verdict.checkedAt,
    ...(verdict.rateLimited === true ? { rateLimited: true as const } : {}),
  };
}

/**
 * A base image with several names and no word on which one the build used: each name is checked.
 * The image is outdated when any of them moved for its platform (a floating tag it may have been
 * built FROM), but the plan acts on none of it until the tag is settled (see plan-actions).
 */
async function unsettledReport(
  link: ImageLink,
  base: ImageBaseReport,
  common: Omit<ImageReport, 'base' | 'status' | 'reason' | 'checkedAt'>,
  checker: UpstreamChecker,
  baseImage: ImageDetails | null,
  configOf: ConfigOf,
): Promise<ImageReport> {
  const { image } = link;
  const platform: PlatformSpec = { os: image.os, architecture: image.architecture, variant: image.variant };
  const candidates = await Promise.all(
    (link.candidates ?? []).map(async (ref) => {
      const parsed = parseImageRef(ref);
      // The same base image, known in that name's repository by this digest (if it was pulled or pushed there).
      const digest = parsed.ok && baseImage !== null ? repoDigestIn(baseImage.repoDigests, repositoryName(parsed.ref)) : null;
      const verdict = await checker.check(ref, platform, { digest, configDigest: await configOf(baseImage, digest) });
      return { ref, latest: verdict.latest, status: verdict.status, reason: verdict.reason, checkedAt: verdict.checkedAt };
    }),
  );
  const moved = candidates.filter((candidate) => candidate.status === 'outdated');
  const status = moved.length > 0 ? 'outdated' : candidates.every((c) => c.status === 'current') ? 'current' : candidates.some((c) => c.status === 'error') ? 'error' : 'unknown';
  const short = (ref: string): string => {
    const parsed = parseImageRef(ref);
    return parsed.ok ? familiarImageRef(parsed.ref) : ref;
  };
  const said = candidates.map((c) =>
    c.status === 'outdated' ? `${short(c.ref)} moved` : c.status === 'current' ? `${short(c.ref)} did not` : `${short(c.ref)} could not be checked (${c.reason})`,
  );
  const chosen = moved[0] ?? candidates[0];
  return {
    ...common,
    base: { ...base, latest: chosen?.latest ?? null, candidates: candidates.map(({ ref, latest, status: s, reason }) => ({ ref, latest, status: s, reason })) },
    status,
    reason: joinReasons(said.join(', '), link.problem),
    checkedAt: chosen?.checkedAt ?? null,
  };
}

/**
 * The config digest of a local base, for a compare by config: needed only when no registry digest
 * of it is known (a RepoDigest lets the registry answer instead). On the containerd store it costs
 * a read of the image's manifest through `docker save`, so only those bases are asked.
 */
type ConfigOf = (image: ImageDetails | null, digest: string | null) => Promise<string | null>;

function configReader(engine: EngineClient | null): ConfigOf {
  return async (image, digest) => {
    if (image === null) return null;
    if (image.configDigest !== null || digest !== null || engine === null) return image.configDigest;
    return engine.configDigestOf(image);
  };
}

interface DockerfileContext {
  readonly configOf: ConfigOf;
  readonly images: readonly ImageDetails[] | null;
  readonly checker: UpstreamChecker | null;
  readonly noter: BaseNoter;
  /** The engine's platform: what a plain `docker build` builds for. */
  readonly platform: PlatformSpec;
}

async function dockerfileReport(reading: DockerfileReading, context: DockerfileContext): Promise<DockerfileReport> {
  const usable = reading.uses.filter((use): use is typeof use & { ref: string } => use.ref !== null);
  const bases = await Promise.all(
    usable.map(async (use): Promise<DockerfileBaseReport> => {
      const local = context.images === null ? null : localCopyOf(context.images, use.ref);
      const common = {
        ref: use.ref,
        kind: use.kind,
        line: use.line,
        stage: use.stage,
        final: use.final,
        pinned: use.pinned,
        platform: use.platform,
        local: local?.digest ?? null,
        ...(await context.noter.notes(use.ref)),
      };
      const where = context.images === null ? 'local images unknown (no engine)' : local === null ? 'not present locally' : null;
      if (context.checker === null) {
        return { ...common, latest: null, status: 'unknown', reason: joinReasons(where, OFFLINE_REASON), checkedAt: null };
      }
      // A literal --platform wins; one built from $BUILDPLATFORM and friends was expanded already.
      const platform = (use.platform !== null ? parsePlatform(use.platform) : null) ?? context.platform;
      // A pin says exactly what gets built; otherwise a plain build uses the local copy of the tag.
      const known = use.pinned !== null
        ? { digest: use.pinned, configDigest: null }
        : { digest: local?.digest ?? null, configDigest: await context.configOf(local?.image ?? null, local?.digest ?? null) };
      const verdict = await context.checker.check(use.ref, platform, known);
      if (use.pinned === null && local === null && verdict.latest !== null) {
        return {
          ...common,
          latest: verdict.latest,
          status: 'unknown',
          reason: 'not present locally: a build pulls the current upstream image',
          checkedAt: verdict.checkedAt,
        };
      }
      return {
        ...common,
        latest: verdict.latest,
        status: verdict.status,
        reason: verdict.reason,
        checkedAt: verdict.checkedAt,
        ...(verdict.rateLimited === true ? { rateLimited: true as const } : {}),
      };
    }),
  );
  return { path: reading.path, bases, errors: reading.errors, usedBy: reading.usedBy };
}

interface OpenedEngine {
  readonly engine: EngineClient;
  readonly report: EngineReport;
  readonly platform: PlatformSpec;
}

async function openEngine(options: CheckOptions, errors: ReportError[]): Promise<OpenedEngine | null> {
  try {
    const engine = await (options.engine ?? connectEngine(options.connect));
    const info = await engine.info();
    return {
      engine,
      report: {
        host: engine.endpoint.host,
        source: engine.endpoint.source,
        apiVersion: info.apiVersion,
        serverVersion: info.serverVersion,
      },
      platform: { os: info.os, architecture: info.architecture },
    };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    errors.push({ where: 'engine', message: error.message });
    return null;
  }
}

/**
 * An unsettled link (a base with several names) whose image's history matches exactly one
 * Dockerfile under the roots: that file's final FROM names the tag, when it is one of the names.
 */
function settleBySuggestion(link: ImageLink, suggestion: SuggestedLinkReport | undefined, dockerfiles: readonly DockerfileReading[], images: readonly ImageDetails[]): ImageLink {
  if (link.candidates === null || link.base === null || suggestion === undefined) return link;
  const from = dockerfiles.find((reading) => reading.path === suggestion.dockerfile)?.uses.find((use) => use.final)?.ref ?? null;
  const said = from === null ? null : parseImageRef(from);
  if (!said?.ok || said.ref.tag === null) return link;
  const named = link.candidates.find((candidate) => tagMatches(candidate, formatImageRef({ ...said.ref, digest: null })));
  if (named === undefined) return link;
  const baseImage = localImage(images, link.base.localId);
  const parsed = parseImageRef(named);
  const digest = parsed.ok && baseImage !== null ? repoDigestIn(baseImage.repoDigests, repositoryName(parsed.ref)) : link.base.digest;
  return {
    ...link,
    base: { ...link.base, ref: named, digest },
    candidates: null,
    problem: [
      // The suggestion beside it already shows the command that confirms it.
      `its base is named by the FROM of ${suggestion.shown}, the Dockerfile its history matches`,
      ...(link.problem ?? '').split('; ').filter((note) => note !== '' && !note.startsWith('its base image is tagged ') && !note.startsWith('say which with ')),
    ].join('; '),
  };
}

/** `links` and, up each chain, the links of the local images they are built on. */
function withChainBases(links: readonly ImageLink[], all: readonly ImageLink[]): ImageLink[] {
  const byId = new Map(all.map((link) => [link.image.id, link]));
  const chosen = new Map(links.map((link) => [link.image.id, link]));
  for (const link of links) {
    let base = link.base?.localId ?? null;
    while (base !== null && !chosen.has(base)) {
      const parent = byId.get(base);
      if (parent === undefined) break;
      chosen.set(base, parent);
      base = parent.base?.localId ?? null;
    }
  }
  return [...chosen.values()];
}

function localImage(images: readonly ImageDetails[] | null, id: string | null): ImageDetails | null {
  return id === null ? null : (images?.find((image) => image.id === id) ?? null);
}

/** The spellings one typed name can match: the name itself, its normal form, podman's localhost/ form, an id (prefix). */
interface WantedName {
  readonly name: string;
  readonly normalised: string | null;
  readonly podmanLocal: string | null;
  /** The id without `sha256:` that a long enough name may be the start of. */
  readonly idPrefix: string | null;
  readonly couldBeId: boolean;
}

function wantedName(wanted: string): WantedName {
  // Podman names local images localhost/<name>; users still type the short name.
  const parsed = parseImageRef(wanted);
  const shortName = parsed.ok && parsed.ref.registry === 'docker.io' && !/^(?:index\.)?docker\.io\//.test(wanted);
  return {
    name: wanted,
    normalised: normalizeImageRef(wanted),
    podmanLocal: shortName ? normalizeImageRef(`localhost/${wanted}`) : null,
    idPrefix: wanted.length >= 12 ? wanted.replace(/^sha256:/, '') : null,
    // Ids are digests: a name with other characters than hex (a tag) is not the start of one.
    couldBeId: /^(?:sha256:)?[0-9a-f]+$/.test(wanted),
  };
}

/**
 * The links each typed name matches, by id or by tag. Each tag is normalised once and looked up
 * by name: naming hundreds of images on an engine of hundreds was names × tags parses before.
 */
function linksByName(links: readonly ImageLink[], wanted: readonly string[]): Map<string, Set<ImageLink>> {
  const byTag = new Map<string, ImageLink[]>();
  const byNormalTag = new Map<string, ImageLink[]>();
  const add = (index: Map<string, ImageLink[]>, key: string, link: ImageLink): void => {
    const list = index.get(key);
    if (list === undefined) index.set(key, [link]);
    else list.push(link);
  };
  for (const link of links) {
    for (const tag of link.image.repoTags) {
      add(byTag, tag, link);
      const normal = normalizeImageRef(tag);
      if (normal !== null) add(byNormalTag, normal, link);
    }
  }
  const byId = new Map<string, ImageLink[]>();
  for (const link of links) add(byId, link.image.id, link);
  const bareIds = links.map((link) => link.image.id.replace(/^sha256:/, ''));
  const matches = new Map<string, Set<ImageLink>>();
  for (const name of new Set(wanted)) {
    const w = wantedName(name);
    const found = new Set<ImageLink>();
    for (const link of byId.get(w.name) ?? []) found.add(link);
    for (const [i, link] of w.couldBeId && w.idPrefix !== null ? links.entries() : []) {
      if (bareIds[i]!.startsWith(w.idPrefix!)) found.add(link);
    }
    for (const link of byTag.get(w.name) ?? []) found.add(link);
    for (const key of [w.normalised, w.podmanLocal]) {
      if (key === null) continue;
      for (const link of byNormalTag.get(key) ?? []) found.add(link);
    }
    matches.set(name, found);
  }
  return matches;
}

/** Pure: the links `wanted` names (an error for each name that matches none), and with `withDependents` the links built on those. */
export function selectImages(links: readonly ImageLink[], wanted: readonly string[], errors: ReportError[], withDependents = false): ImageLink[] {
  if (wanted.length === 0) return [...links];
  const matches = linksByName(links, wanted);
  for (const name of wanted) {
    if (matches.get(name)?.size === 0) {
      const known = links.flatMap((link) => link.image.repoTags);
      errors.push({ where: name, message: `no tagged local image has this name or id (see \`docker image ls\`)${didYouMean(name, known)}` });
    }
  }
  const matched = new Set([...matches.values()].flatMap((found) => [...found]));
  const chosen = links.filter((link) => matched.has(link));
  if (!withDependents) return chosen;
  // Built on a chosen image (by local id), or on any image of a repository asked for: a pull that
  // moved a tag is news for the images on the tag's older version, which the event does not name.
  const ids = new Set(chosen.map((link) => link.image.id));
  const repositories = new Set(wanted.flatMap((name) => repositoryOf(name) ?? []));
  return links.filter(
    (link) =>
      matched.has(link) ||
      (link.base !== null && ((link.base.localId !== null && ids.has(link.base.localId)) || repositories.has(repositoryOf(link.base.ref) ?? ''))),
  );
}

function repositoryOf(ref: string): string | null {
  const parsed = parseImageRef(ref);
  return parsed.ok ? repositoryName(parsed.ref) : null;
}

function openRegistry(options: CheckOptions): RegistryClient {
  return createRegistryClient({
    insecureRegistries: options.settings.insecureRegistries,
    caFiles: options.settings.caFiles,
    timeoutMs: options.settings.registryTimeoutSeconds * 1000,
    credentials: dockerCredentials({ env: options.env as NodeJS.ProcessEnv }),
  });
}

export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const progress = options.onProgress ?? (() => {});
  // No roots: no project scan (a daemon watching nothing still checks the local images).
  const roots = options.roots.map((root) => path.resolve(options.cwd, root));
  const errors: ReportError[] = [];

  progress('scanning project folders');
  const files = options.projectFileList !== undefined ? { ...options.projectFileList, errors: [] } : await findProjectFiles(roots);
  errors.push(...files.errors);
  const projectFiles = options.projectFiles ?? new ProjectFileCache();
  const projects = await readProjects(files.dockerfiles, files.composeFiles, options.env, projectFiles);
  errors.push(...projects.errors);
  // `basewatch link` records name the Dockerfile, so the tag its final stage is built FROM.
  const linked = await hintsFromBuildLinks(options.buildLinks ?? [], projectFiles);
  errors.push(...linked.errors);
  const hints = [...linked.hints, ...projects.hints];

  progress('reading local images');
  const opened = await openEngine(options, errors);
  let images: readonly ImageDetails[] | null = null;
  let links: ImageLink[] = [];
  // The selected links and the local bases they rest on, up their chains: a dependent's verdict
  // goes through its base's (see resolve/chain-verdicts).
  let evaluated: ImageLink[] = [];
  let suggestions = new Map<string, SuggestedLinkReport>();
  // The scope rule (pipeline/scope): what `ignore` names never reaches a registry or the report.
  const ignore = options.settings.ignore;
  const ignored: IgnoredReport[] = [];
  let dockerfileReadings: readonly DockerfileReading[] = projects.dockerfiles;
  if (opened !== null) {
    try {
      // Bases earlier checks recorded by id (pipeline/seen-tags): Podman may have left them nameless.
      const keep = new Set([...(options.seenTags?.keys() ?? [])].filter((key) => key.startsWith('sha256:')));
      const facts = options.imageFacts?.forEngine(opened.engine.endpoint.host);
      const engine = opened.engine;
      const read = (): ReturnType<typeof readLocalImages> => readLocalImages(engine, keep, facts, (done, total) => progress(`reading images ${done}/${total}`));
      const list = options.imageList;
      const local = list === undefined ? await read() : await list.memo[list.listing](engine.endpoint.host, keep, read);
      images = local.images;
      // Link against every image (any may be a base), then keep the ones asked about.
      // A compose service counts for an existing image only when its history matches the service's build.
      const all = await linkWithVerifiedClaims({
        engine: opened.engine,
        link: { images: local.images, hints, histories: local.histories, ...(options.seenTags ? { seenTags: options.seenTags } : {}) },
        images: local.images,
        roots: await rootFolders(roots),
      });
      const scoped = scopeImages(selectImages(all, options.images ?? [], errors, options.withDependents === true), ignore);
      links = scoped.kept;
      ignored.push(...scoped.ignored);
      const everywhere = scopeImages(all, ignore);
      const files = scopeDockerfiles(projects.dockerfiles, ignore, all.filter((link) => !everywhere.kept.includes(link)), everywhere.kept);
      dockerfileReadings = files.kept;
      ignored.push(...files.ignored);
      // A kept image's verdict goes through the local bases it is built on, ignored or not.
      evaluated = withChainBases(links, all);
      suggestions = await suggestLinks({
        engine: withRememberedHistories(opened.engine, facts),
        links,
        images: local.images,
        dockerfiles: projects.dockerfiles,
        histories: local.histories,
        buildLinks: options.buildLinks ?? [],
        displayCwd: options.displayCwd ?? null,
      });
      // A Dockerfile its history matches step by step names the tag it was built FROM; it is never
      // built from on that guess, but its FROM settles which of the base's names the build used.
      const settled = (link: ImageLink): ImageLink => settleBySuggestion(link, suggestions.get(link.image.id), projects.dockerfiles, local.images);
      links = links.map(settled);
      const only = options.onlyBuiltFrom;
      if (only !== undefined) {
        links = links.filter((link) => only.images.has(link.image.id) || linkBuiltFrom(link, suggestions.get(link.image.id), only.files));
        evaluated = withChainBases(links, all);
      }
      evaluated = evaluated.map(settled);
    } catch (error) {
      errors.push({ where: 'engine', message: error instanceof Error ? error.message : String(error) });
    }
  } else {
    // No engine: no images to tell which Dockerfiles build ignored ones; ignored bases still go.
    const files = scopeDockerfiles(projects.dockerfiles, ignore, [], []);
    dockerfileReadings = files.kept;
    ignored.push(...files.ignored);
  }

  const ownRegistry = options.offline || options.registry !== undefined ? null : openRegistry(options);
  const registry = options.offline ? null : (options.registry ?? ownRegistry);
  try {
    const checker = registry === null ? null : createUpstreamChecker(registry, undefined, (answered, asked) => progress(`asking registries ${answered}/${asked}`));
    if (checker !== null) progress('asking registries');
    const noter = await createBaseNoter(registry, {
      cacheDir: options.cacheDir,
      schedule: options.settings.schedule,
      allowedVersions: options.settings.allowedVersions,
      now: new Date(),
    });
    const configOf = configReader(opened?.engine ?? null);
    const context: DockerfileContext = { configOf, images, checker, noter, platform: opened?.platform ?? hostPlatform() };
    const [imageReports, dockerfiles] = await Promise.all([
      Promise.all(evaluated.map((link) => imageReport(link, checker, noter, suggestions.get(link.image.id), localImage(images, link.base?.localId ?? null), configOf, images))),
      Promise.all(dockerfileReadings.map((reading) => dockerfileReport(reading, context))),
    ]);
    const report: CheckReport = {
      engine: opened?.report ?? null,
      offline: options.offline,
      roots,
      images: verdictsThroughChains(imageReports)
        .filter((image) => links.some((link) => link.image.id === image.id))
        .sort((a, b) => compareText(a.name, b.name)),
      dockerfiles,
      compose: projects.compose,
      registries: (registry?.rateLimits() ?? []).map((seen) => ({ ...seen })),
      errors,
      ignored,
    };
    return { report, observations: checker?.observations() ?? [], links, localImages: images ?? [], engine: opened?.engine ?? null };
  } finally {
    await ownRegistry?.close();
  }
}
