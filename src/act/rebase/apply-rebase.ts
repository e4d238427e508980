/**
 * The rebase's last step, once it is decided: pull the new base, load the rebased image, verify
 * it (layers, smoke test), and only then move the tags (journalled: act/tag-moves/). An image this
 * rebase loaded and cannot use is removed again.
 */
import type { EngineClient, ImageDetails } from '../../engine/docker-engine.js';
import { repositoryName } from '../../refs/image-ref.js';
import { keepTagFor } from '../../refs/keep-tags.js';
import { failpoint } from '../../util/failpoint.js';
import { engineAuthFor } from '../rebuild/engine-auth.js';
import { removeUntagged } from '../remove-untagged.js';
import { runSmokeTest } from '../smoke-test.js';
import { describeLeftTags, moveTags } from '../tag-moves/move-tags.js';
import { type LoadedImage, configDigestOf, loadRebasedImage } from './load-rebased.js';
import { findLocalNewBase } from './local-new-base.js';
import { PACKAGE_DB_PATHS, packageChanges } from './package-changes.js';
import type { PreparedRebase } from './prepare-rebase.js';
import type { RebasedConfig } from './rebase-config.js';
import { Refusal, type RebaseRun } from './rebase-run.js';
import type { RebaseDeps, RebaseOutcome } from './rebase-types.js';
import type { LayerScan } from '../../archive/layer-scan.js';
import { megabytes } from '../../util/progress-count.js';

export interface RebaseToApply {
  readonly config: RebasedConfig;
  readonly baseLayers: readonly LayerScan[];
}

export async function applyRebase(
  deps: RebaseDeps,
  run: RebaseRun,
  prepared: PreparedRebase,
  decided: RebaseToApply,
  alreadyLocal: ImageDetails | null,
): Promise<RebaseOutcome> {
  // Known up front only where the ID is the config's digest (classic store, Podman); on the
  // containerd store an image that is already tagged is not removed either (discardLoaded).
  const existedBeforePromise = run.ahead(deps.engine.inspectImage(configDigestOf(decided.config.configBytes)));
  const pulled = await pullNewBase(deps, run, prepared, alreadyLocal);
  // Only the record of what changed needs the new base's packages: read beside the load, awaited before any tag moves.
  const newFilesRead =
    alreadyLocal === null ? run.ahead(prepared.housekeeping.then(() => deps.engine.readImageFiles(pulled.id, PACKAGE_DB_PATHS))) : prepared.newFiles;

  run.progress('loading the rebased image');
  const existedBefore = (await existedBeforePromise) !== null;
  // Only an image this rebase created goes when it cannot be used; an identical one from before stays.
  const discardLoaded = async (imageId: string): Promise<void> => {
    if (!existedBefore) await removeUntagged(deps.engine, imageId);
  };
  const loaded = await loadAndVerify(deps, run, prepared, decided.config, pulled, discardLoaded);

  let newFiles: Map<string, Buffer> | null;
  try {
    newFiles = await newFilesRead;
  } catch (error) {
    await discardLoaded(loaded.imageId);
    throw error;
  }
  run.record({ packages: packageChanges(decided.baseLayers, newFiles) });
  return moveRebasedTags(deps, run, prepared.image, loaded.imageId, existedBefore);
}

/** The new base's local image: pulled by digest unless the engine has it already. */
async function pullNewBase(deps: RebaseDeps, run: RebaseRun, { target, newRef, newBase }: PreparedRebase, alreadyLocal: ImageDetails | null): Promise<ImageDetails> {
  if (alreadyLocal === null) {
    run.progress(`pulling ${newRef}@${newBase.digest}`);
    const auth = await engineAuthFor(deps.credentials, target.registry);
    await deps.engine.pullImage(`${repositoryName(target)}@${newBase.digest}`, { auth, onProgress: run.progress });
  }
  failpoint('rebase:after-pull');
  // Inspected just now when it was already local; after a pull, it must be there now.
  const pulled = alreadyLocal ?? (await findLocalNewBase(deps.engine, target, newBase));
  if (pulled === null) {
    throw new Refusal('failed', [`after pulling ${newRef}@${newBase.digest} the engine has no image with its config ${newBase.configDigest}`]);
  }
  return pulled;
}

/** Loads the rebased image and checks it before any tag moves: its layers, then the smoke test. */
async function loadAndVerify(
  deps: RebaseDeps,
  run: RebaseRun,
  { image, archive, appDiffIds, fullLoad }: PreparedRebase,
  config: RebasedConfig,
  pulled: ImageDetails,
  discardLoaded: (imageId: string) => Promise<void>,
): Promise<LoadedImage> {
  const loaded = await loadRebasedImage(deps.engine, {
    configBytes: config.configBytes,
    baseDiffIds: config.diffIds.slice(0, config.diffIds.length - appDiffIds.length),
    appLayers: appDiffIds.map((diffId) => {
      const kept = archive.kept.get(diffId);
      if (kept === undefined) throw new Refusal('failed', [`the export of ${image.id} lacked layer ${diffId}`]);
      return { diffId, file: kept.file, size: kept.size };
    }),
    newBaseId: pulled.id,
    fullOnly: await fullLoad,
    onBytes: (sent, expected) => run.progress(`loading the rebased image ${megabytes(sent, expected)}`),
  });
  run.warnings.push(...loaded.warnings);
  run.record({ newImageId: loaded.imageId, fastPath: loaded.fastPath, bytesMoved: loaded.bytes, baseLayersSkipped: loaded.baseLayersSkipped });

  failpoint('rebase:after-load');
  run.progress('verifying the rebased image');
  const verified = await verifyRebased(deps.engine, loaded.imageId, config.diffIds);
  if (verified !== null) {
    await discardLoaded(loaded.imageId);
    throw new Refusal('failed', [verified]);
  }
  if (deps.smokeTest) {
    run.progress('running the smoke test');
    const smoke = await runSmokeTest(deps.engine, loaded.imageId, deps.smokeTest);
    if (!smoke.ok) {
      await discardLoaded(loaded.imageId);
      throw new Refusal('failed', [`${smoke.reason}; the tags stay on ${image.id}`]);
    }
  }
  return loaded;
}

/** Why the engine's copy of the loaded image is not the one expected; null when it is. */
async function verifyRebased(engine: EngineClient, imageId: string, diffIds: readonly string[]): Promise<string | null> {
  const loaded: ImageDetails | null = await engine.inspectImage(imageId);
  if (loaded === null) return `the engine did not keep the loaded image ${imageId}`;
  if (loaded.diffIds.length !== diffIds.length || loaded.diffIds.some((d, i) => d !== diffIds[i])) {
    return `the loaded image ${imageId} has layers ${loaded.diffIds.join(', ')}, not the expected ${diffIds.join(', ')}`;
  }
  return null;
}

/** Moves the tags that are still on the old image; the outcome says which moved and which were left. */
async function moveRebasedTags(deps: RebaseDeps, run: RebaseRun, image: ImageDetails, newImageId: string, existedBefore: boolean): Promise<RebaseOutcome> {
  run.progress('moving the tags');
  const keepTag = keepTagFor(image.id);
  const { outcome } = run;
  const moved = await moveTags(deps.engine, deps.stateDir, {
    kind: 'rebase',
    image: outcome.image,
    tags: image.repoTags,
    fromId: image.id,
    toId: newImageId,
    keepTag,
    at: (deps.now?.() ?? new Date()).toISOString(),
    details: {
      oldBase: outcome.oldBase,
      newBase: outcome.newBase,
      packages: outcome.packages?.summary ?? null,
      // Every change, not only the summary's first: `basewatch history` shows them all.
      packageChanges: outcome.packages ? { upgraded: outcome.packages.upgraded, downgraded: outcome.packages.downgraded, added: outcome.packages.added, removed: outcome.packages.removed } : null,
    },
  });
  const leftAlone = describeLeftTags('rebase', moved.left);
  run.record({ tags: [...moved.moved, ...moved.alreadyThere] });
  if (moved.moved.length > 0) {
    run.warnings.push(...leftAlone);
    run.record({ keepTag });
    return run.finish('rebased');
  }
  if (moved.alreadyThere.length > 0) {
    // Another basewatch made the very same image and moved the tags onto it first.
    run.warnings.push(...leftAlone);
    return run.finish('current', [`another basewatch run rebased it meanwhile: ${moved.alreadyThere.join(', ')} already on ${newImageId}`]);
  }
  // Nobody wants the rebased image any more; an identical one from before stays.
  const removed = !existedBefore && (await removeUntagged(deps.engine, newImageId));
  const what = removed ? 'the rebased image was removed' : `the rebased image stays as ${newImageId}`;
  return run.finish('skipped', [...leftAlone, `no tag is on ${image.id} any more; ${what}`]);
}
