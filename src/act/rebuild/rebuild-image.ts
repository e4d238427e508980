/**
 * `basewatch rebuild`: builds an image again from its Dockerfile through the engine, on freshly
 * pulled bases, and moves its tags to the result. Order of work: everything that can fail without
 * changing a tag (read, pull, build, smoke test) runs first; tag moves are journalled
 * (act/tag-moves.ts), so `basewatch rollback` undoes a rebuild as it undoes a rebase.
 */
import fs from 'node:fs/promises';
import { runSmokeTest } from '../smoke-test.js';
import { actFailureReason } from '../act-failure.js';
import { analyzeDockerfile } from '../../inventory/dockerfile/analyze-dockerfile.js';
import { BuildError, type EngineClient, type EngineRegistryAuth, type ImageDetails } from '../../engine/docker-engine.js';
import { recoverTagMove } from '../tag-moves/recover-tag-move.js';
import { describeLeftTags, moveTags } from '../tag-moves/move-tags.js';
import { keepTagFor, withoutKeepTags } from '../../refs/keep-tags.js';
import { familiarImageRef, formatImageRef, parseImageRef, repoDigestIn, repositoryName } from '../../refs/image-ref.js';
import type { CredentialSource } from '../../registry/credentials.js';
import type { BuildSpec } from './build-source.js';
import { engineAuthFor } from './engine-auth.js';
import { failpoint } from '../../util/failpoint.js';
import { type ApprovedBase, pinApprovedBase } from './pin-approved-base.js';
import { type BasePull, type BuildStep, baseLabels, baseName, basesToPull, parseBuildStep } from './rebuild-plan.js';

/** Lines of build output an outcome carries. */
export const LOG_TAIL_LINES = 20;

/**
 * Pulls shared by several rebuilds of one cycle, so images on the same base pull it once:
 * pull reference -> the digest it was pulled at (null: not known).
 */
export type PullCache = Map<string, Promise<string | null>>;

export interface RebuildDeps {
  readonly engine: EngineClient;
  readonly credentials: CredentialSource;
  readonly stateDir: string;
  /** The `smokeTest` setting: run in a container of the new image before its tags move. */
  readonly smokeTest: string | null;
  /** `step` 0 is preparation (reading, pulling, sending the context); then the builder's Step N/M. */
  readonly onProgress?: (progress: BuildStep) => void;
  readonly pulls?: PullCache;
  readonly now?: () => Date;
}

/**
 * `skipped`: built, but every tag had been re-pointed (or removed) meanwhile, so none moved and
 * the new image was removed; `reasons` names each tag and where it is now.
 */
export type RebuildStatus = 'rebuilt' | 'skipped' | 'failed' | 'dry-run';

export interface RebuildOutcome {
  readonly status: RebuildStatus;
  /** The first tag moved (or to be moved), else what the spec names. */
  readonly image: string;
  readonly tags: readonly string[];
  readonly oldImageId: string | null;
  readonly newImageId: string | null;
  /** The final base as stamped in `org.opencontainers.image.base.name`; null for `FROM scratch`. */
  readonly baseRef: string | null;
  /** The digest the final base was pulled at (the approved one, for a rebuild with an approved base). */
  readonly baseDigest: string | null;
  readonly seconds: number;
  /** The last lines of the build's output (on success too; most useful on failure). */
  readonly logTail: readonly string[];
  /** Why it failed, one reason per line; the build's own error line comes first. */
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
  /** Keeps the previous image reachable for `basewatch rollback`. */
  readonly keepTag: string | null;
}

class Failure extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
  }
}

export interface RebuildOptions {
  /** Stop after reading and planning: nothing is pulled, built or tagged. Default false. */
  readonly dryRun?: boolean;
  /**
   * The base digest an update plan approved for the image's base. The FROMs (and COPY --from)
   * naming that base by tag are pulled and built at exactly this digest (pin-approved-base.ts
   * says how and why), whatever the tag names by now. Default null: every base is pulled by its
   * tag, newest, as a plain `basewatch rebuild` does.
   */
  readonly approvedBase?: ApprovedBase | null;
}

export async function rebuildImage(deps: RebuildDeps, spec: BuildSpec, options: RebuildOptions = {}): Promise<RebuildOutcome> {
  const started = Date.now();
  const now = deps.now ?? (() => new Date());
  const progress = (text: string): void => deps.onProgress?.({ step: 0, total: 0, text });
  const warnings: string[] = [];
  let outcome: Omit<RebuildOutcome, 'status' | 'seconds' | 'reasons' | 'warnings'> = {
    image: spec.image ?? spec.tags[0] ?? spec.dockerfile,
    tags: [],
    oldImageId: null,
    newImageId: null,
    baseRef: null,
    baseDigest: null,
    logTail: [],
    keepTag: null,
  };
  const finish = (status: RebuildStatus, reasons: string[] = []): RebuildOutcome => ({
    status,
    ...outcome,
    reasons,
    warnings,
    seconds: (Date.now() - started) / 1000,
  });

  try {
    const recovered = await recoverTagMove(deps.engine, deps.stateDir);
    if (recovered !== null) warnings.push(recovered);

    progress(`reading ${spec.dockerfile}`);
    const text = await fs.readFile(spec.dockerfile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Failure([`cannot read the Dockerfile ${spec.dockerfile}: ${error.code ?? error.message}`]);
    });
    const analyzeOptions = { buildArgs: spec.buildArgs, target: spec.target };
    let analysis = analyzeDockerfile(text, analyzeOptions);
    if (analysis.errors.length > 0) throw new Failure(analysis.errors.map((e) => `${spec.dockerfile}:${e.line}: ${e.message}`));
    // The Dockerfile text the engine builds from; the file's own unless a base is pinned below.
    let dockerfileContent: string | undefined;
    const approved = options.approvedBase ?? null;
    if (approved !== null) {
      const pinning = pinApprovedBase(text, approved, analyzeOptions);
      if (!pinning.ok) throw new Failure([`${spec.dockerfile}:${pinning.line}: ${pinning.message}`]);
      if (pinning.warning !== null) warnings.push(pinning.warning);
      if (pinning.lines.length > 0) {
        // From here on the pinned text is the Dockerfile: its pins are what is pulled, built on and labelled.
        analysis = pinning.analysis;
        dockerfileContent = pinning.content;
      }
    }

    const old = spec.image === null ? null : await deps.engine.inspectImage(spec.image);
    const tags = tagsToMove(spec, old);
    outcome = { ...outcome, image: tags[0] ?? outcome.image, tags, oldImageId: old?.id ?? null };
    if (tags.length === 0) {
      throw new Failure([spec.image === null ? 'no image to replace and no tag to give the result' : `${spec.image} has no tag to move; tag it first`]);
    }
    if (old === null && spec.image !== null) warnings.push(`there was no local image ${spec.image}; built it anew`);

    const pulls = basesToPull(analysis);
    const final = pulls.find((pull) => pull.final) ?? null;
    outcome = { ...outcome, baseRef: final === null ? null : baseName(final.parsed), baseDigest: final?.parsed.digest ?? null };
    if (options.dryRun === true) return finish('dry-run');

    const digests = new Map<string, string | null>();
    const auths: EngineRegistryAuth[] = [];
    for (const pull of pulls) {
      progress(`pulling ${familiarImageRef(pull.parsed)}`);
      digests.set(pull.ref, await pullBase(deps, pull));
      const auth = await engineAuthFor(deps.credentials, pull.parsed.registry);
      if (auth !== null && !auths.some((a) => a.serveraddress === auth.serveraddress)) auths.push(auth);
    }
    const finalDigest = final === null ? null : (digests.get(final.ref) ?? null);
    if (final !== null && finalDigest === null) warnings.push(`the engine recorded no digest for ${final.ref}; the base digest label is left out`);
    outcome = { ...outcome, baseDigest: finalDigest };

    progress('sending the build context');
    let newImageId: string;
    const logTail: string[] = [];
    try {
      const built = await deps.engine.buildImage(
        { dir: spec.context, dockerfile: spec.dockerfile, ...(dockerfileContent === undefined ? {} : { dockerfileContent }) },
        {
          buildArgs: spec.buildArgs,
          target: spec.target,
          labels: baseLabels(final === null ? null : { name: baseName(final.parsed), digest: finalDigest }),
          // The bases were pulled just now, with the user's credentials: build on exactly those.
          pull: false,
          authconfigs: auths,
          onLogLine: (line) => {
            logTail.push(line);
            if (logTail.length > LOG_TAIL_LINES) logTail.shift();
            const step = parseBuildStep(line);
            if (step !== null) deps.onProgress?.(step);
          },
        },
      );
      newImageId = built.imageId;
      outcome = { ...outcome, newImageId, logTail: built.logTail.slice(-LOG_TAIL_LINES) };
    } catch (error) {
      if (error instanceof BuildError) {
        outcome = { ...outcome, logTail: error.logTail.slice(-LOG_TAIL_LINES) };
        throw new Failure([`the build failed: ${error.buildError}`]);
      }
      outcome = { ...outcome, logTail: [...logTail] };
      throw error;
    }

    if (old !== null && newImageId === old.id) {
      warnings.push('the build gave the very image already tagged (nothing changed); no tag moved');
      return finish('rebuilt');
    }

    if (deps.smokeTest !== null) {
      progress(`smoke test: ${deps.smokeTest}`);
      const smoke = await runSmokeTest(deps.engine, newImageId, deps.smokeTest);
      if (!smoke.ok) {
        await deps.engine.removeImage(newImageId).catch(() => false);
        outcome = { ...outcome, newImageId: null };
        throw new Failure([smoke.reason, old === null ? 'the new image was removed' : `the tags stay on ${old.id}; the new image was removed`]);
      }
    }

    failpoint('rebuild:after-build');
    progress('moving the tags');
    if (old === null) {
      // Nothing to keep or roll back to: the tags are new.
      for (const tag of tags) await deps.engine.tagImage(newImageId, tag);
      return finish('rebuilt');
    }
    // Tags the spec names for the result that were not on the old image are given, not moved.
    const onOld = tags.filter((tag) => old.repoTags.some((other) => sameTag(other, tag)));
    const given = tags.filter((tag) => !onOld.includes(tag));
    for (const tag of given) await deps.engine.tagImage(newImageId, tag);
    const keepTag = keepTagFor(old.id);
    const moved = await moveTags(deps.engine, deps.stateDir, {
      kind: 'rebuild',
      image: outcome.image,
      tags: onOld,
      fromId: old.id,
      toId: newImageId,
      keepTag,
      at: now().toISOString(),
      // Build arg values can hold secrets: only their names are recorded.
      details: {
        dockerfile: spec.dockerfile,
        context: spec.context,
        target: spec.target,
        buildArgs: Object.keys(spec.buildArgs),
        newBase: outcome.baseRef === null ? null : { ref: outcome.baseRef, digest: outcome.baseDigest },
      },
    });
    const leftAlone = describeLeftTags('rebuild', moved.left);
    outcome = { ...outcome, tags: [...given, ...moved.moved, ...moved.alreadyThere] };
    if (outcome.tags.length > 0 || moved.left.length === 0) {
      // Some tag is on the new image (moved here, or by another run that built the same image).
      warnings.push(...leftAlone);
      if (moved.moved.length > 0) outcome = { ...outcome, keepTag };
      return finish('rebuilt');
    }
    // Nobody wants the new image any more. One with a tag by now (someone tagged it) stays.
    const built = await deps.engine.inspectImage(newImageId).catch(() => null);
    const removed = built !== null && built.repoTags.length === 0 && (await deps.engine.removeImage(newImageId).catch(() => false));
    const what = removed ? 'the rebuilt image was removed' : `the rebuilt image stays as ${newImageId}`;
    return finish('skipped', [...leftAlone, `no tag is on ${old.id} any more; ${what}`]);
  } catch (error) {
    if (error instanceof Failure) return finish('failed', error.reasons);
    const reason = actFailureReason(error);
    if (reason === null) throw error;
    return finish('failed', [reason]);
  }
}

/** The spec's tags; else every tag of the image replaced (not our keep tags); else the image's own name when it is one. */
function tagsToMove(spec: BuildSpec, old: ImageDetails | null): string[] {
  const familiar = (name: string): string => {
    const parsed = parseImageRef(name);
    return parsed.ok ? familiarImageRef(parsed.ref) : name;
  };
  if (spec.tags.length > 0) return [...new Set(spec.tags.map(familiar))];
  if (old !== null) return withoutKeepTags(old.repoTags);
  if (spec.image !== null && !/^(sha256:)?[0-9a-f]{12,64}$/.test(spec.image) && parseImageRef(spec.image).ok) return [familiar(spec.image)];
  return [];
}

function sameTag(a: string, b: string): boolean {
  const [left, right] = [parseImageRef(a), parseImageRef(b)];
  return left.ok && right.ok ? formatImageRef(left.ref) === formatImageRef(right.ref) : a === b;
}

/** Pulls a base (once per cache) and returns the digest it was pulled at. */
async function pullBase(deps: RebuildDeps, pull: BasePull): Promise<string | null> {
  const cached = deps.pulls?.get(pull.pullRef);
  if (cached !== undefined) return cached;
  const pulling = (async () => {
    const auth = await engineAuthFor(deps.credentials, pull.parsed.registry);
    try {
      await deps.engine.pullImage(pull.pullRef, { auth });
    } catch (error) {
      const reason = actFailureReason(error);
      if (reason === null) throw error;
      throw new Failure([`cannot pull ${familiarImageRef(pull.parsed)}: ${reason}`]);
    }
    if (pull.parsed.digest !== null) return pull.parsed.digest;
    const pulled = await deps.engine.inspectImage(pull.pullRef);
    return pulled === null ? null : repoDigestIn(pulled.repoDigests, repositoryName(pull.parsed));
  })();
  deps.pulls?.set(pull.pullRef, pulling);
  return pulling;
}
