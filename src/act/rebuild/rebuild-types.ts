/** What a rebuild is asked and told (rebuild-image.ts re-exports these for its callers). */
import type { EngineClient } from '../../engine/docker-engine.js';
import type { CredentialSource } from '../../registry/credentials.js';
import type { ApprovedBase } from './pin-approved-base.js';
import type { BuildStep } from './rebuild-plan.js';

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
