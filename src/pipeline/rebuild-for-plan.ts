/** Rebuilds a planned image from its Dockerfile: the update cycle's bridge to src/act/rebuild/. */
import type { Settings } from '../config/settings.js';
import type { EngineClient } from '../engine/docker-engine.js';
import type { BasewatchPaths } from '../config/paths.js';
import { resolveBuildSource } from '../act/rebuild/build-source.js';
import type { ApprovedBase } from '../act/rebuild/pin-approved-base.js';
import { type PullCache, rebuildImage } from '../act/rebuild/rebuild-image.js';
import type { CredentialSource } from '../registry/credentials.js';
import type { PlanEntry } from '../plan/plan-actions.js';
import type { BuildLinksReading } from '../inventory/build-link.js';
import type { ImageSourceReport } from '../report/check-report.js';

export interface RebuildContext {
  readonly engine: EngineClient;
  readonly credentials: CredentialSource;
  readonly paths: BasewatchPaths;
  readonly settings: Settings;
  readonly roots: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The build links the cycle read before its check. */
  readonly buildLinks: BuildLinksReading;
  /** One per cycle: images on the same base pull it once. */
  readonly pulls: PullCache;
  /** Hears the rebuild's steps ("build step 3/7: …"). */
  readonly progress?: (message: string) => void;
}

export type RebuildResult =
  | { readonly ok: true; readonly newImageId: string | null; readonly dockerfile: string; readonly baseDigest: string | null; readonly warnings: readonly string[] }
  /** skipped: built, but every tag had been re-pointed meanwhile (reason says where); nothing failed. */
  | { readonly ok: false; readonly skipped: boolean; readonly reason: string; readonly warnings: readonly string[] };

/**
 * `checked`: how the check says the image is built (its verified compose service, or its
 * `basewatch link`). The rebuild uses exactly that: a compose service the check did not take as
 * the image's build (a compose file naming an image it did not build) is never built from.
 */
export async function rebuildForPlan(context: RebuildContext, entry: PlanEntry, checked: ImageSourceReport | null): Promise<RebuildResult> {
  const service = checked?.compose != null && checked.service != null ? `${checked.compose}#${checked.service}` : null;
  // No verified service: only a `basewatch link` record (no compose file is searched).
  const resolved = await resolveBuildSource(
    { engine: context.engine, buildLinks: context.buildLinks, roots: service === null ? [] : context.roots, cwd: context.cwd, env: context.env },
    service ?? entry.image,
  );
  const source = resolved.ok && service !== null ? { ...resolved, spec: { ...resolved.spec, image: entry.image } } : resolved;
  if (!source.ok) return { ok: false, skipped: false, reason: source.message, warnings: [] };
  const outcome = await rebuildImage(
    {
      engine: context.engine,
      credentials: context.credentials,
      stateDir: context.paths.state,
      smokeTest: context.settings.smokeTest,
      pulls: context.pulls,
      onProgress: (step) => context.progress?.(step.step === 0 ? step.text : `build step ${step.step}/${step.total}: ${step.text}`),
    },
    source.spec,
    // Exactly the digest the plan saw (and minimumAge let through), not whatever the tag is now,
    // as a rebase of the same plan would use it.
    { approvedBase: approvedBaseOf(entry) },
  );
  if (outcome.status !== 'rebuilt') {
    // The build's own error line only: its log can print build-arg values (tokens), and this
    // reason travels to notifications, the webhook and the control socket.
    return {
      ok: false,
      skipped: outcome.status === 'skipped',
      reason: maskValues(outcome.reasons.join('; '), Object.values(source.spec.buildArgs)),
      warnings: [...source.warnings, ...outcome.warnings],
    };
  }
  return { ok: true, newImageId: outcome.newImageId, dockerfile: source.spec.dockerfile, baseDigest: outcome.baseDigest, warnings: [...source.warnings, ...outcome.warnings] };
}

/** The base digest a plan entry approved, when it names one. */
export function approvedBaseOf(entry: Pick<PlanEntry, 'baseRef' | 'digest' | 'waitsOn'>): ApprovedBase | null {
  // An image that waits on a local base is rebuilt on that base as this cycle left it, not on a registry digest.
  if (entry.waitsOn !== undefined) return null;
  return entry.baseRef !== null && entry.digest !== null ? { ref: entry.baseRef, digest: entry.digest } : null;
}

/** Replaces build-arg values (long enough to be secrets rather than words) with ***. */
export function maskValues(text: string, values: readonly string[]): string {
  return values.filter((value) => value.length >= 4).reduce((masked, value) => masked.split(value).join('***'), text);
}
