/** What a rebase is asked and told (rebase-image.ts re-exports these for its callers). */
import type { EngineClient, ImageDetails } from '../../engine/docker-engine.js';
import type { ImageLink } from '../../link/link-images.js';
import type { CredentialSource } from '../../registry/credentials.js';
import type { RegistryClient } from '../../registry/registry-client.js';

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
  /**
   * The Dockerfile the check knows builds it, as the user would type it, for a refusal's "rebuild
   * instead": `linkCommand` is null when it is linked (or its compose build), else the `basewatch
   * link` that confirms the Dockerfile its history matches. Absent: none is known.
   */
  readonly dockerfile?: { readonly shown: string; readonly linkCommand: string | null } | null;
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
