/** The rebuild's pulls: every base the build needs, with the user's credentials, once per cycle. */
import type { EngineRegistryAuth } from '../../engine/docker-engine.js';
import { familiarImageRef, repoDigestIn, repositoryName } from '../../refs/image-ref.js';
import { actFailureReason } from '../act-failure.js';
import { engineAuthFor } from './engine-auth.js';
import { RebuildFailure } from './rebuild-run.js';
import type { BasePull } from './rebuild-plan.js';
import type { RebuildDeps } from './rebuild-types.js';

export interface PulledBases {
  /** Dockerfile reference -> the digest it was pulled at (null: not known). */
  readonly digests: ReadonlyMap<string, string | null>;
  /** The credentials the build may need, one per registry. */
  readonly auths: readonly EngineRegistryAuth[];
  /** Bases built here and never pushed, used as they are: one line each for the outcome. */
  readonly warnings: readonly string[];
}

export async function pullBases(deps: RebuildDeps, pulls: readonly BasePull[], progress: (text: string) => void): Promise<PulledBases> {
  const digests = new Map<string, string | null>();
  const auths: EngineRegistryAuth[] = [];
  const warnings: string[] = [];
  for (const pull of pulls) {
    if (await isLocalOnly(deps, pull)) {
      // Never downgrade: a pull would put the registry's copy of that name (older, or another
      // image altogether) under the tag the user built. The build uses the local one, as a plain
      // `docker build` does; a company base updated earlier in this cycle is picked up so.
      warnings.push(`${familiarImageRef(pull.parsed)} was built here and never pushed: built on it as it is, not pulled`);
      digests.set(pull.ref, null);
      continue;
    }
    progress(`pulling ${familiarImageRef(pull.parsed)}`);
    digests.set(pull.ref, await pullBase(deps, pull));
    const auth = await engineAuthFor(deps.credentials, pull.parsed.registry);
    if (auth !== null && !auths.some((a) => a.serveraddress === auth.serveraddress)) auths.push(auth);
  }
  return { digests, auths, warnings };
}

/** A tag whose local image has no digest in that repository: built (or loaded) here, never pushed or pulled. */
async function isLocalOnly(deps: RebuildDeps, pull: BasePull): Promise<boolean> {
  if (pull.parsed.digest !== null) return false;
  const local = await deps.engine.inspectImage(pull.pullRef);
  return local !== null && repoDigestIn(local.repoDigests, repositoryName(pull.parsed)) === null;
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
      throw new RebuildFailure([`cannot pull ${familiarImageRef(pull.parsed)}: ${reason}`]);
    }
    if (pull.parsed.digest !== null) return pull.parsed.digest;
    const pulled = await deps.engine.inspectImage(pull.pullRef);
    return pulled === null ? null : repoDigestIn(pulled.repoDigests, repositoryName(pull.parsed));
  })();
  deps.pulls?.set(pull.pullRef, pulling);
  return pulling;
}
