/**
 * `basewatch rebase`: moves a local image onto a new digest of its base without rebuilding, when
 * that is provably safe (design.md "Rebase"). Order of work: everything that can refuse runs
 * before anything changes the engine; the new image is complete and verified before the first
 * tag moves; tag moves are journalled (act/tag-moves.ts).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LayerScan } from '../../archive/layer-scan.js';
import type { ImageArchive } from '../../archive/read-image-archive.js';
import type { EngineClient, ImageDetails } from '../../engine/docker-engine.js';
import type { ImageLink } from '../../link/link-images.js';
import { type ImageRef, formatImageRef, parseImageRef, repositoryName } from '../../refs/image-ref.js';
import type { CredentialSource } from '../../registry/credentials.js';
import { engineAuthFrom } from '../rebuild/engine-auth.js';
import type { PlatformSpec } from '../../refs/platform.js';
import type { RegistryClient } from '../../registry/registry-client.js';
import { type BaseConfig, configFromEngine, configFromRegistry } from './base-configs.js';
import { exportImage, layersAbove, sameList } from './export-image.js';
import { loadRebasedImage } from './load-rebased.js';
import { diffPackages, summarizePackageDiff } from '../package-diff/package-diff.js';
import { packagesFromLayers } from '../package-diff/package-db.js';
import { removeStaleSpools } from './stale-spools.js';
import { recoverTagMove } from '../tag-moves/recover-tag-move.js';
import { describeLeftTags, moveTags } from '../tag-moves/move-tags.js';
import { keepTagFor, withoutKeepTags } from '../../refs/keep-tags.js';
import { rebaseConfig } from './rebase-config.js';
import { checkSeam } from './seam-check.js';
import { failpoint } from '../../util/failpoint.js';
import { runSmokeTest } from '../smoke-test.js';
import { actFailureReason } from '../act-failure.js';

export interface RebaseRequest {
  /** A tag, name or id of a local image. */
  readonly image: string;
  /** The new base (`ref[:tag][@digest]`); default: the latest digest of the base's own tag. */
  readonly to: string | null;
  readonly dryRun: boolean;
  /** Override the seam check (and io.buildpacks.rebasable=false), with a warning. */
  readonly force: boolean;
  /** What the check linked the image to; the rebase never links on its own. */
  readonly linked: LinkedImage;
}

/** A check's link of one image, with the local images it was made from (any may be its base). */
export interface LinkedImage {
  readonly link: ImageLink;
  readonly localImages: readonly ImageDetails[];
}

export interface RebaseDeps {
  readonly engine: EngineClient;
  readonly registry: RegistryClient;
  readonly credentials: CredentialSource;
  readonly stateDir: string;
  /** The `smokeTest` setting: run in a container of the new image before any tag moves. */
  readonly smokeTest?: string | null;
  readonly onProgress?: (step: string) => void;
  readonly now?: () => Date;
}

/**
 * `skipped`: rebased, but every tag had been re-pointed (or removed) meanwhile, so none moved and
 * the rebased image was removed; `reasons` names each tag and where it is now.
 */
export type RebaseStatus = 'rebased' | 'current' | 'skipped' | 'refused' | 'dry-run' | 'failed';

export interface PackageChanges {
  readonly summary: string;
  readonly upgraded: ReadonlyArray<{ name: string; from: string; to: string }>;
  readonly downgraded: ReadonlyArray<{ name: string; from: string; to: string }>;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export interface RebaseOutcome {
  readonly status: RebaseStatus;
  readonly image: string;
  readonly tags: readonly string[];
  readonly oldImageId: string | null;
  readonly newImageId: string | null;
  readonly oldBase: { readonly ref: string; readonly digest: string | null } | null;
  readonly newBase: { readonly ref: string; readonly digest: string } | null;
  /** App layers carried over unchanged. */
  readonly layersReused: number;
  /** New base layers the engine already had and was not sent (fast path). */
  readonly baseLayersSkipped: number;
  /** Bytes written into the engine's load. */
  readonly bytesMoved: number;
  readonly seconds: number;
  /** True: config + app layers only; false: full archive; null: nothing was loaded. */
  readonly fastPath: boolean | null;
  readonly packages: PackageChanges | null;
  /** Why it was refused or failed, one reason per line. */
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
  /** Keeps the previous image reachable for `basewatch rollback`. */
  readonly keepTag: string | null;
}

/** Where a package database can sit in a base; read from the pulled new base through the engine. */
const PACKAGE_DB_PATHS = ['/var/lib/dpkg/status', '/var/lib/dpkg/status.d', '/lib/apk/db/installed'];

class Refusal extends Error {
  constructor(readonly status: 'refused' | 'failed' | 'current', readonly reasons: string[]) {
    super(reasons.join('; '));
  }
}

/** The package database files of an image, as one synthetic layer for packagesFromLayers. */
function filesAsLayer(files: Map<string, Buffer>): LayerScan {
  return {
    diffId: 'engine-files',
    size: 0,
    entries: [...files].map(([p, bytes]) => ({ path: p, type: 'file' as const, mode: 0o644, size: bytes.length, linkname: null, whiteout: null })),
    captured: files,
  };
}

function packageChanges(oldLayers: readonly LayerScan[], newFiles: Map<string, Buffer> | null): PackageChanges | null {
  if (newFiles === null) return null;
  const diff = diffPackages(packagesFromLayers(oldLayers), packagesFromLayers([filesAsLayer(newFiles)]));
  return {
    summary: summarizePackageDiff(diff, { limit: 1 }),
    upgraded: diff.upgraded.map((c) => ({ name: c.name, from: c.from, to: c.to })),
    downgraded: diff.downgraded.map((c) => ({ name: c.name, from: c.from, to: c.to })),
    added: diff.added.map((p) => p.name),
    removed: diff.removed.map((p) => p.name),
  };
}

export async function rebaseImage(deps: RebaseDeps, request: RebaseRequest): Promise<RebaseOutcome> {
  const now = deps.now ?? (() => new Date());
  const started = Date.now();
  const progress = deps.onProgress ?? (() => {});
  const warnings: string[] = [];
  let outcome: Partial<RebaseOutcome> = { image: request.image, tags: [] };
  const tmpDir = path.join(deps.stateDir, 'tmp');
  let spoolDir: string | null = null;
  const exportCancel = new AbortController();
  // Engine work started ahead of need; the rebase waits for it before it ends, however it ends.
  const pending: Array<Promise<unknown>> = [];
  /** Starts `work` now, to be awaited later; until then a rejection is not unhandled. */
  const ahead = <T>(work: Promise<T>): Promise<T> => {
    pending.push(work.catch(() => undefined));
    return work;
  };
  const finish = (status: RebaseStatus, reasons: string[] = []): RebaseOutcome => ({
    status,
    image: request.image,
    tags: [],
    oldImageId: null,
    newImageId: null,
    oldBase: null,
    newBase: null,
    layersReused: 0,
    baseLayersSkipped: 0,
    bytesMoved: 0,
    fastPath: null,
    packages: null,
    keepTag: null,
    ...outcome,
    reasons,
    warnings,
    seconds: (Date.now() - started) / 1000,
  });

  try {
    const recovered = await recoverTagMove(deps.engine, deps.stateDir);
    if (recovered !== null) warnings.push(recovered);
    // Independent of the image, so they run beside the reads below. Leftover containers go before
    // the new base's files are read: that read's own container is also a temporary one.
    const housekeeping = ahead(Promise.all([removeStaleSpools(tmpDir), removeTemporaryContainers(deps.engine)]));
    const fullLoad = ahead(needsFullLoad(deps.engine));

    progress('reading the image');
    const found = await deps.engine.inspectImage(request.image);
    if (found === null) throw new Refusal('failed', [`no local image ${request.image} (see \`docker image ls\`)`]);
    const image = { ...found, repoTags: withoutKeepTags(found.repoTags) };
    const history = ahead(deps.engine.imageHistory(image.id));
    outcome = { ...outcome, image: image.repoTags[0] ?? request.image, tags: image.repoTags, oldImageId: image.id };
    if (image.repoTags.length === 0) throw new Refusal('refused', [`${request.image} has no tag to move; tag it first`]);
    const platform: PlatformSpec = { os: image.os, architecture: image.architecture, variant: image.variant };

    const { link, localImages } = request.linked;
    if (link.image.id !== image.id) {
      // Re-tagged since the check: its link is another image's.
      throw new Refusal('failed', [`${request.image} is ${image.id} now, not the ${link.image.id} the check linked; check again`]);
    }
    const local = { images: localImages };
    const base = link.base;
    if (base === null) {
      throw new Refusal('refused', [`cannot tell which base ${outcome.image} was built on: ${link.problem ?? 'no link'}`]);
    }
    outcome = { ...outcome, oldBase: { ref: base.ref, digest: base.digest } };
    const baseRef = parseImageRef(base.ref);
    if (!baseRef.ok) throw new Refusal('failed', [`the base reference ${base.ref} is invalid: ${baseRef.error}`]);

    await fs.mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const spool = await fs.mkdtemp(path.join(tmpDir, `rebase-${process.pid}-`));
    spoolDir = spool;

    if (base.digest === null && base.localId === null) {
      // Nothing says which image of that name it was built on (the check reports it as unknown,
      // with this reason): there is no old base to lift the app layers off.
      const why = link.problem ?? `no local image of ${base.ref} is the one it was built on, and its digest is not known`;
      throw new Refusal('refused', [`${outcome.image} was built on ${base.ref}, but on which image of it is not known: ${why}; rebuild it from its Dockerfile instead: basewatch rebuild ${outcome.image}`]);
    }

    // The export does not wait for the registry when the link names a local base: the app layers
    // are the image's layers above that base's (the old base read below must be that very image),
    // so it starts now. Any way out before its result is used cancels it.
    const predictedAppDiffIds = layersAbove(image, base.localId, local.images);
    const earlyExport =
      predictedAppDiffIds === null
        ? null
        : ahead(history.then((steps) => exportImage(deps.engine, image, steps, predictedAppDiffIds, spool, warnings, exportCancel.signal)));

    // The old and the new base's configs are independent reads (registry round trips): both at once.
    progress('reading the old and the new base');
    const oldBasePromise = ahead(readOldBase(deps, base, baseRef.ref, platform, spool));
    let target: ImageRef;
    try {
      target = resolveTarget(request.to, baseRef.ref, local.images, warnings);
    } catch (error) {
      await oldBasePromise; // a problem with the old base is reported first, as it comes first
      throw error;
    }
    const newBasePromise = ahead(configFromRegistry(deps.registry, target, platform));
    const oldBase = await oldBasePromise;
    const newBase = await newBasePromise;
    if (!newBase.ok) throw new Refusal('failed', [`cannot resolve the new base ${formatImageRef(target)}: ${newBase.message}`]);
    // The base labels name a tag, so later checks compare against the right one: `--to` with
    // only a digest keeps the tag the image followed.
    const newRef = formatImageRef({ ...target, digest: null, tag: target.tag ?? baseRef.ref.tag ?? 'latest' });
    outcome = { ...outcome, newBase: { ref: newRef, digest: newBase.value.digest } };
    if (newBase.value.configDigest === oldBase.configDigest) {
      throw new Refusal('current', [`already on the latest ${newRef} (${newBase.value.digest})`]);
    }

    progress('exporting the image');
    const oldLayerCount = (JSON.parse(oldBase.bytes.toString('utf8')) as { rootfs?: { diff_ids?: unknown[] } }).rootfs?.diff_ids?.length ?? 0;
    const appDiffIds = image.diffIds.slice(oldLayerCount);
    // Work that does not depend on the export runs beside it.
    const alreadyLocalPromise = ahead(deps.engine.inspectImage(newBase.value.configDigest));
    const newFilesPromise = ahead(
      Promise.all([alreadyLocalPromise, housekeeping]).then(([local]) => (local === null ? null : deps.engine.readImageFiles(local.id, PACKAGE_DB_PATHS))),
    );
    let archive: ImageArchive;
    if (earlyExport !== null && predictedAppDiffIds !== null && sameList(predictedAppDiffIds, appDiffIds)) {
      archive = await earlyExport;
    } else {
      exportCancel.abort();
      await earlyExport?.catch(() => undefined); // its spool files are gone before the next export writes its own
      archive = await exportImage(deps.engine, image, await history, appDiffIds, spool, warnings, null);
    }
    failpoint('rebase:after-export');
    if (archive.configDigest !== image.id) {
      throw new Refusal('failed', [`the engine exported a different image (${archive.configDigest}) than ${image.id}`]);
    }

    const config = rebaseConfig({
      appConfig: archive.configBytes,
      oldBaseConfig: oldBase.bytes,
      newBaseConfig: newBase.value.bytes,
      oldBaseId: oldBase.configDigest,
      newBaseId: newBase.value.configDigest,
      newBaseRef: newRef,
      newBaseDigest: newBase.value.digest,
      force: request.force,
    });
    if (!config.ok) {
      throw new Refusal('refused', config.refusals.map((r) => (r.message.endsWith('rebuild instead') ? r.message : `${r.message}: rebuild instead`)));
    }
    warnings.push(...config.value.warnings);

    const baseScans = archive.layers.slice(0, oldLayerCount);
    const seam = checkSeam({ baseLayers: baseScans, appLayers: archive.layers.slice(oldLayerCount), appLayerOffset: oldLayerCount });
    if (!seam.safe) {
      const messages = seam.findings.map((finding) => finding.message);
      if (!request.force) throw new Refusal('refused', messages);
      warnings.push(`--force: rebasing although ${messages.join('; ')}`);
    }
    outcome = { ...outcome, layersReused: appDiffIds.length };

    const alreadyLocal = await alreadyLocalPromise;
    if (request.dryRun) {
      const files = await newFilesPromise;
      outcome = { ...outcome, packages: packageChanges(baseScans, files) };
      if (files === null) warnings.push('package changes are known once the new base is pulled');
      return finish('dry-run');
    }

    const existedBeforePromise = ahead(deps.engine.inspectImage(imageIdOf(config.value.configBytes)));
    if (alreadyLocal === null) {
      progress(`pulling ${newRef}@${newBase.value.digest}`);
      const auth = engineAuthFrom(await deps.credentials(target.registry), target.registry);
      await deps.engine.pullImage(`${repositoryName(target)}@${newBase.value.digest}`, { auth, onProgress: progress });
    }
    failpoint('rebase:after-pull');
    // Inspected just now when it was already local; after a pull, it must be there now.
    const pulled = alreadyLocal ?? (await deps.engine.inspectImage(newBase.value.configDigest));
    if (pulled === null) {
      throw new Refusal('failed', [`after pulling ${newRef}@${newBase.value.digest} the engine has no image ${newBase.value.configDigest}`]);
    }
    // Only the record of what changed needs the new base's packages: read beside the load, awaited before any tag moves.
    const newFilesRead = alreadyLocal === null ? ahead(housekeeping.then(() => deps.engine.readImageFiles(pulled.id, PACKAGE_DB_PATHS))) : newFilesPromise;

    progress('loading the rebased image');
    const existedBefore = (await existedBeforePromise) !== null;
    // Only an image this rebase created goes when it cannot be used; an identical one from before stays.
    const discardLoaded = async (imageId: string): Promise<void> => {
      if (!existedBefore) await deps.engine.removeImage(imageId).catch(() => false);
    };
    const loaded = await loadRebasedImage(deps.engine, {
      configBytes: config.value.configBytes,
      baseDiffIds: config.value.diffIds.slice(0, config.value.diffIds.length - appDiffIds.length),
      appLayers: appDiffIds.map((diffId) => {
        const kept = archive.kept.get(diffId);
        if (kept === undefined) throw new Refusal('failed', [`the export of ${image.id} lacked layer ${diffId}`]);
        return { diffId, file: kept.file, size: kept.size };
      }),
      newBaseId: pulled.id,
      fullOnly: await fullLoad,
    });
    warnings.push(...loaded.warnings);
    outcome = { ...outcome, newImageId: loaded.imageId, fastPath: loaded.fastPath, bytesMoved: loaded.bytes, baseLayersSkipped: loaded.baseLayersSkipped };

    failpoint('rebase:after-load');
    progress('verifying the rebased image');
    const verified = await verifyRebased(deps.engine, loaded.imageId, config.value.diffIds);
    if (verified !== null) {
      await discardLoaded(loaded.imageId);
      throw new Refusal('failed', [verified]);
    }

    if (deps.smokeTest) {
      progress('running the smoke test');
      const smoke = await runSmokeTest(deps.engine, loaded.imageId, deps.smokeTest);
      if (!smoke.ok) {
        await discardLoaded(loaded.imageId);
        throw new Refusal('failed', [`${smoke.reason}; the tags stay on ${image.id}`]);
      }
    }

    let newFiles: Map<string, Buffer> | null;
    try {
      newFiles = await newFilesRead;
    } catch (error) {
      await discardLoaded(loaded.imageId);
      throw error;
    }
    outcome = { ...outcome, packages: packageChanges(baseScans, newFiles) };

    progress('moving the tags');
    const keepTag = keepTagFor(image.id);
    const moved = await moveTags(deps.engine, deps.stateDir, {
      kind: 'rebase',
      image: outcome.image ?? request.image,
      tags: image.repoTags,
      fromId: image.id,
      toId: loaded.imageId,
      keepTag,
      at: now().toISOString(),
      details: { oldBase: outcome.oldBase, newBase: outcome.newBase, packages: outcome.packages?.summary ?? null },
    });
    const leftAlone = describeLeftTags('rebase', moved.left);
    outcome = { ...outcome, tags: [...moved.moved, ...moved.alreadyThere] };
    if (moved.moved.length > 0) {
      warnings.push(...leftAlone);
      outcome = { ...outcome, keepTag };
      return finish('rebased');
    }
    if (moved.alreadyThere.length > 0) {
      // Another basewatch made the very same image and moved the tags onto it first.
      warnings.push(...leftAlone);
      return finish('current', [`another basewatch run rebased it meanwhile: ${moved.alreadyThere.join(', ')} already on ${loaded.imageId}`]);
    }
    // Nobody wants the rebased image any more; an identical one from before stays.
    const removed = !existedBefore && (await removeUntagged(deps.engine, loaded.imageId));
    const what = removed ? 'the rebased image was removed' : `the rebased image stays as ${loaded.imageId}`;
    return finish('skipped', [...leftAlone, `no tag is on ${image.id} any more; ${what}`]);
  } catch (error) {
    if (error instanceof Refusal) return finish(error.status, error.reasons);
    const reason = actFailureReason(error);
    if (reason === null) throw error;
    return finish('failed', [reason]);
  } finally {
    // Work still under way must not outlive the rebase (the files read's container, above all); an
    // export whose result was not needed stops now.
    exportCancel.abort();
    await Promise.all(pending);
    if (spoolDir !== null) await fs.rm(spoolDir, { recursive: true, force: true });
  }
}

function imageIdOf(configBytes: Buffer): string {
  return `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
}

/** Removes an image unless it has a tag (someone may have tagged it by now: then it stays). */
async function removeUntagged(engine: EngineClient, imageId: string): Promise<boolean> {
  const found = await engine.inspectImage(imageId).catch(() => null);
  return found !== null && found.repoTags.length === 0 && (await engine.removeImage(imageId).catch(() => false));
}

/** Containers basewatch created to read files or smoke-test, left behind by a killed run. */
async function removeTemporaryContainers(engine: EngineClient): Promise<void> {
  const leftovers = await engine.listContainers({ all: true, label: 'basewatch.temporary=1' }).catch(() => []);
  for (const container of leftovers) {
    if (container.state !== 'running') await engine.removeContainer(container.id).catch(() => undefined);
  }
}

/**
 * The new base: `--to`, else the base's own tag (the check's link names it with the tag it knows:
 * from a compose file, a label, or a tag earlier checks saw the digest under). A base known only
 * by its digest takes the one local tag of its repository, with a warning; with several local
 * tags it could be any of them, and the user says which.
 */
function resolveTarget(to: string | null, baseRef: ImageRef, images: readonly ImageDetails[], warnings: string[]): ImageRef {
  if (to !== null) {
    const parsed = parseImageRef(to);
    if (!parsed.ok) throw new Refusal('failed', [`--to ${to}: ${parsed.error}`]);
    return parsed.ref;
  }
  if (baseRef.tag !== null) return { ...baseRef, digest: null };
  const repository = repositoryName(baseRef);
  const tags = [
    ...new Set(
      images.flatMap((image) =>
        image.repoTags.flatMap((tag) => {
          const parsed = parseImageRef(tag);
          return parsed.ok && repositoryName(parsed.ref) === repository ? [formatImageRef(parsed.ref)] : [];
        }),
      ),
    ),
  ];
  const [only, ...others] = tags;
  const chosen = only === undefined ? null : parseImageRef(only);
  if (chosen?.ok && others.length === 0) {
    warnings.push(`the base is known only by its digest; took ${only}, the one local tag of ${repository} (say --to to choose another)`);
    return { ...chosen.ref, digest: null };
  }
  throw new Refusal('failed', [
    `the base is known only by its digest (${formatImageRef(baseRef)}); name the new base with --to ${repository}:<tag>` +
      (tags.length > 0 ? ` (local tags of that repository: ${tags.join(', ')})` : ''),
  ]);
}

async function readOldBase(
  deps: RebaseDeps,
  base: { ref: string; digest: string | null; localId: string | null },
  ref: ImageRef,
  platform: PlatformSpec,
  spoolDir: string,
): Promise<BaseConfig> {
  const problems: string[] = [];
  if (base.digest !== null) {
    const fromRegistry = await configFromRegistry(deps.registry, { ...ref, tag: null, digest: base.digest }, platform);
    // The local copy is what the image was built on; the registry's must be that very image.
    if (fromRegistry.ok && (base.localId === null || fromRegistry.value.configDigest === base.localId)) return fromRegistry.value;
    if (!fromRegistry.ok) problems.push(fromRegistry.message);
  }
  if (base.localId !== null) {
    const fromEngine = await configFromEngine(deps.engine, base.localId, spoolDir);
    if (fromEngine.ok) return fromEngine.value;
    problems.push(fromEngine.message);
  }
  throw new Refusal('failed', [`cannot read the config of the old base ${base.ref}: ${problems.join('; ') || 'it is neither local nor known by digest'}`]);
}

/** The containerd image store and Podman read every layer file of a load: no placeholders there. */
async function needsFullLoad(engine: EngineClient): Promise<boolean> {
  const info = await engine.info();
  return info.containerdSnapshotter || info.product === 'podman';
}

async function verifyRebased(engine: EngineClient, imageId: string, diffIds: readonly string[]): Promise<string | null> {
  const loaded: ImageDetails | null = await engine.inspectImage(imageId);
  if (loaded === null) return `the engine did not keep the loaded image ${imageId}`;
  if (loaded.diffIds.length !== diffIds.length || loaded.diffIds.some((d, i) => d !== diffIds[i])) {
    return `the loaded image ${imageId} has layers ${loaded.diffIds.join(', ')}, not the expected ${diffIds.join(', ')}`;
  }
  return null;
}
