/**
 * The rebase's first step: everything it reads before it decides. The image and the check's link
 * of it, the old and the new base's configs, the image's export; work that does not depend on
 * them starts beside them (RebaseRun.ahead). Nothing here changes the engine but housekeeping.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageArchive } from '../../archive/read-image-archive.js';
import type { HistoryEntry, ImageDetails } from '../../engine/docker-engine.js';
import { type ImageRef, familiarImageRef, formatImageRef, parseImageRef } from '../../refs/image-ref.js';
import { withoutKeepTags } from '../../refs/keep-tags.js';
import type { PlatformSpec } from '../../refs/platform.js';
import { failpoint } from '../../util/failpoint.js';
import { finishLeftovers } from '../tag-moves/leftovers.js';
import { type BaseConfig, configFromRegistry } from './base-configs.js';
import { baseLayerCount } from './decide-rebase.js';
import { exportImage, layersAbove, sameList } from './export-image.js';
import { needsFullLoad } from './load-rebased.js';
import { findLocalNewBase } from './local-new-base.js';
import { downgradeReason } from './never-downgrade.js';
import { PACKAGE_DB_PATHS } from './package-changes.js';
import { readOldBase } from './read-old-base.js';
import { Refusal, type RebaseRun } from './rebase-run.js';
import type { LinkedImage, RebaseDeps, RebaseRequest } from './rebase-types.js';
import { resolveTarget } from './resolve-target.js';
import { removeTemporaryContainers } from './temporary-containers.js';
import { ensurePrivateDir } from '../../util/private-path.js';
import { megabytes } from '../../util/progress-count.js';

export interface PreparedRebase {
  /** The image, without basewatch's keep tags. */
  readonly image: ImageDetails;
  readonly target: ImageRef;
  /** The new base as the base labels name it: by tag. */
  readonly newRef: string;
  readonly oldBase: BaseConfig;
  readonly newBase: BaseConfig;
  readonly archive: ImageArchive;
  /** The image's layers above the old base's. */
  readonly appDiffIds: readonly string[];
  /** Started ahead: leftover spools and temporary containers removed. */
  readonly housekeeping: Promise<unknown>;
  /** Started ahead: the engine takes no placeholder layers (load-rebased.ts). */
  readonly fullLoad: Promise<boolean>;
  /** Started ahead: the new base's local image, when the engine has it already. */
  readonly alreadyLocal: Promise<ImageDetails | null>;
  /** Started ahead: the new base's package database files, when it is local already. */
  readonly newFiles: Promise<Map<string, Buffer> | null>;
}

interface LinkedBase {
  readonly image: ImageDetails;
  readonly platform: PlatformSpec;
  readonly base: { readonly ref: string; readonly digest: string | null; readonly localId: string | null };
  readonly baseRef: ImageRef;
  readonly history: Promise<readonly HistoryEntry[]>;
}

export async function prepareRebase(deps: RebaseDeps, request: RebaseRequest, run: RebaseRun): Promise<PreparedRebase> {
  run.warnings.push(...(await finishLeftovers(deps.engine, deps.stateDir)));
  const tmpDir = path.join(deps.stateDir, 'tmp');
  // Independent of the image, so they run beside the reads below. Leftover containers go before
  // the new base's files are read: that read's own container is also a temporary one.
  const housekeeping = run.ahead(removeTemporaryContainers(deps.engine));
  const fullLoad = run.ahead(needsFullLoad(deps.engine));

  const linked = await inspectLinked(deps, request, run);
  const { image, base } = linked;
  await ensurePrivateDir(tmpDir);
  const spool = await fs.mkdtemp(path.join(tmpDir, `rebase-${process.pid}-`));
  run.spoolDir = spool;
  if (base.digest === null && base.localId === null) {
    // Nothing says which image of that name it was built on (the check reports it as unknown,
    // with this reason): there is no old base to lift the app layers off.
    const why = request.linked.link.problem ?? `no local image of ${base.ref} is the one it was built on, and its digest is not known`;
    const image = run.outcome.image;
    throw new Refusal('refused', [`${image} was built on ${base.ref}, but on which image of it is not known: ${why}; rebuild it from its Dockerfile instead: ${rebuildAdvice(image, request.linked.dockerfile ?? null)}`]);
  }

  // The export does not wait for the registry when the link names a local base: the app layers
  // are the image's layers above that base's (the old base read below must be that very image),
  // so it starts now. Any way out before its result is used cancels it.
  const predicted = layersAbove(image, base.localId, request.linked.localImages);
  const early = predicted === null ? null : { appDiffIds: predicted, archive: run.ahead(linked.history.then((steps) => exportImage(deps.engine, image, steps, predicted, spool, run.warnings, run.exportCancel.signal, exportProgress(run)))) };

  const { target, newRef, oldBase, newBase } = await readBases(deps, request, run, linked, spool);
  run.progress('exporting the image');
  const appDiffIds = image.diffIds.slice(baseLayerCount(oldBase.bytes));
  // Work that does not depend on the export runs beside it.
  const alreadyLocal = run.ahead(findLocalNewBase(deps.engine, target, newBase));
  const newFiles = run.ahead(
    Promise.all([alreadyLocal, housekeeping]).then(([local]) => (local === null ? null : deps.engine.readImageFiles(local.id, PACKAGE_DB_PATHS))),
  );
  const archive = await exportApp(deps, run, linked, spool, early, appDiffIds);
  return { image, target, newRef, oldBase, newBase, archive, appDiffIds, housekeeping, fullLoad, alreadyLocal, newFiles };
}

/**
 * True when a refusal's reasons already say how to rebuild the image (the unknown old base names
 * `basewatch rebuild …` itself): whoever shows them adds no second advice.
 */
export function reasonsAdviseRebuild(image: string, reasons: readonly string[]): boolean {
  return reasons.some((reason) => reason.includes(`basewatch rebuild ${image}`));
}

/** How to rebuild the image, naming its Dockerfile when the check knows it. */
function rebuildAdvice(image: string, dockerfile: LinkedImage['dockerfile'] | null): string {
  if (dockerfile === null || dockerfile === undefined) return `say which Dockerfile builds it with basewatch link ${image} <Dockerfile>, then basewatch rebuild ${image}`;
  if (dockerfile.linkCommand === null) return `basewatch rebuild ${image} (${dockerfile.shown})`;
  return `it looks built from ${dockerfile.shown}; confirm with ${dockerfile.linkCommand}, then basewatch rebuild ${image}`;
}

/** The image, and the base the check linked it to; refused when either is not what a rebase needs. */
async function inspectLinked(deps: RebaseDeps, request: RebaseRequest, run: RebaseRun): Promise<LinkedBase> {
  run.progress('reading the image');
  const found = await deps.engine.inspectImage(request.image);
  if (found === null) throw new Refusal('failed', [`no local image ${request.image} (see \`docker image ls\`)`]);
  const image = { ...found, repoTags: withoutKeepTags(found.repoTags) };
  const history = run.ahead(deps.engine.imageHistory(image.id));
  run.record({ image: image.repoTags[0] ?? request.image, tags: image.repoTags, oldImageId: image.id });
  if (image.repoTags.length === 0) throw new Refusal('refused', [`${request.image} has no tag to move; tag it first`]);
  const platform: PlatformSpec = { os: image.os, architecture: image.architecture, variant: image.variant };

  const { link } = request.linked;
  if (link.image.id !== image.id) {
    // Re-tagged since the check: its link is another image's.
    throw new Refusal('failed', [`${request.image} is ${image.id} now, not the ${link.image.id} the check linked; check again`]);
  }
  const base = link.base;
  if (base === null) {
    throw new Refusal('refused', [`cannot tell which base ${run.outcome.image} was built on: ${link.problem ?? 'no link'}`]);
  }
  run.record({ oldBase: { ref: base.ref, digest: base.digest } });
  if (/^sha256:[0-9a-f]{64}$/.test(base.ref) && request.to === null) {
    // Known only by its image id (the containerd store names nothing the tag left): no tag to follow.
    throw new Refusal('refused', [`${link.problem ?? 'the name of its base is not known'}; name the new base with --to <ref>`]);
  }
  // Both are questions only the user can answer: name the new base with --to.
  if (link.candidates !== null && request.to === null) {
    throw new Refusal('refused', [`${link.problem ?? `its base image has several names (${link.candidates.join(', ')})`}; or name the new base with --to`]);
  }
  if (base.pinned != null && request.to === null) {
    throw new Refusal('refused', [`its Dockerfile pins the base to ${base.pinned}, a decision: policy pin moves the pin, or name the new base with --to`]);
  }
  const baseRef = parseImageRef(base.ref);
  if (!baseRef.ok) throw new Refusal('failed', [`the base reference ${base.ref} is invalid: ${baseRef.error}`]);
  return { image, platform, base, baseRef: baseRef.ref, history };
}

/** The old and the new base's configs: independent reads (registry round trips), both at once. */
async function readBases(
  deps: RebaseDeps,
  request: RebaseRequest,
  run: RebaseRun,
  { base, baseRef, platform }: LinkedBase,
  spool: string,
): Promise<{ target: ImageRef; newRef: string; oldBase: BaseConfig; newBase: BaseConfig }> {
  run.progress('reading the old and the new base');
  const oldBasePromise = run.ahead(readOldBase(deps, base, baseRef, platform, spool));
  let target: ImageRef;
  try {
    target = resolveTarget(request.to, baseRef, request.linked.localImages, run.warnings);
  } catch (error) {
    await oldBasePromise; // a problem with the old base is reported first, as it comes first
    throw error;
  }
  const newBasePromise = run.ahead(configFromRegistry(deps.registry, target, platform));
  const oldBase = await oldBasePromise;
  const newBase = await newBasePromise;
  if (!newBase.ok) throw new Refusal('failed', [`cannot resolve the new base ${formatImageRef(target)}: ${newBase.message}`]);
  // The base labels name a tag, so later checks compare against the right one: `--to` with
  // only a digest keeps the tag the image followed.
  const newRef = formatImageRef({ ...target, digest: null, tag: target.tag ?? baseRef.tag ?? 'latest' });
  run.record({ newBase: { ref: newRef, digest: newBase.value.digest } });
  if (newBase.value.configDigest === oldBase.configDigest) {
    throw new Refusal('current', [`already on the latest ${newRef} (${newBase.value.digest})`]);
  }
  const downgrade = downgradeReason(familiarImageRef(baseRef), oldBase.bytes, newBase.value.bytes);
  if (downgrade !== null) throw new Refusal('refused', [downgrade]);
  return { target, newRef, oldBase, newBase: newBase.value };
}

function exportProgress(run: RebaseRun): (read: number, expected: number) => void {
  return (read, expected) => run.progress(`exporting the image ${megabytes(read, expected)}`);
}

/** The image's export with `appDiffIds` kept: the early one when it kept those, else a new one. */
async function exportApp(
  deps: RebaseDeps,
  run: RebaseRun,
  { image, history }: LinkedBase,
  spool: string,
  early: { readonly appDiffIds: readonly string[]; readonly archive: Promise<ImageArchive> } | null,
  appDiffIds: readonly string[],
): Promise<ImageArchive> {
  let archive: ImageArchive;
  if (early !== null && sameList(early.appDiffIds, appDiffIds)) {
    archive = await early.archive;
  } else {
    run.exportCancel.abort();
    await early?.archive.catch(() => undefined); // its spool files are gone before the next export writes its own
    archive = await exportImage(deps.engine, image, await history, appDiffIds, spool, run.warnings, null, exportProgress(run));
  }
  failpoint('rebase:after-export');
  if (!archive.imageIds.includes(image.id)) {
    throw new Refusal('failed', [`the engine exported a different image (${archive.imageIds.join(', ')}) than ${image.id}`]);
  }
  return archive;
}
