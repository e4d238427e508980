/**
 * The rebase's decision, pure: from what was read (the image's export, the old and the new base's
 * configs), the new config, or the reasons to refuse (the config cannot be rebased, or the app
 * layers reach into the base: design.md "Rebase" 1–3); and what a dry run reports.
 */
import type { LayerScan } from '../../archive/layer-scan.js';
import type { ImageArchive } from '../../archive/read-image-archive.js';
import { type BaseConfig, configDiffIds } from './base-configs.js';
import { packageChanges } from './package-changes.js';
import { type RebasedConfig, rebaseConfig } from './rebase-config.js';
import type { PackageChanges } from './rebase-types.js';
import { checkSeam } from './seam-check.js';

/** How many layers a base's config lists: the image's layers above that many are the app's. */
export function baseLayerCount(configBytes: Buffer): number {
  return configDiffIds(configBytes).length;
}

export interface RebaseDecisionInput {
  /** The image's export: its config and every layer scanned, bottom first. */
  readonly archive: Pick<ImageArchive, 'configBytes' | 'layers'>;
  readonly oldBase: Pick<BaseConfig, 'bytes' | 'configDigest'>;
  readonly newBase: Pick<BaseConfig, 'bytes' | 'configDigest' | 'digest'>;
  /** What the base labels name the new base: a tag, no digest. */
  readonly newRef: string;
  /** `--force`: rebase although the seam check found something, with a warning. */
  readonly force: boolean;
}

export type RebaseDecision =
  | {
      readonly ok: true;
      readonly config: RebasedConfig;
      /** The image's layers that are the old base's (what the package diff starts from). */
      readonly baseLayers: readonly LayerScan[];
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly reasons: readonly string[]; readonly warnings: readonly string[] };

export function decideRebase(input: RebaseDecisionInput): RebaseDecision {
  const config = rebaseConfig({
    appConfig: input.archive.configBytes,
    oldBaseConfig: input.oldBase.bytes,
    newBaseConfig: input.newBase.bytes,
    oldBaseId: input.oldBase.configDigest,
    newBaseId: input.newBase.configDigest,
    newBaseRef: input.newRef,
    newBaseDigest: input.newBase.digest,
    force: input.force,
  });
  if (!config.ok) {
    const reasons = config.refusals.map((r) => (r.message.endsWith('rebuild instead') ? r.message : `${r.message}: rebuild instead`));
    return { ok: false, reasons, warnings: [] };
  }
  const warnings = [...config.value.warnings];
  const oldLayerCount = baseLayerCount(input.oldBase.bytes);
  const baseLayers = input.archive.layers.slice(0, oldLayerCount);
  const seam = checkSeam({ baseLayers, appLayers: input.archive.layers.slice(oldLayerCount), appLayerOffset: oldLayerCount });
  if (!seam.safe) {
    const messages = seam.findings.map((finding) => finding.message);
    if (!input.force) return { ok: false, reasons: messages, warnings };
    warnings.push(`--force: rebasing although ${messages.join('; ')}`);
  }
  return { ok: true, config: config.value, baseLayers, warnings };
}

/** A dry run's report: what changes in the packages, when the new base is local to tell. */
export function dryRunReport(
  baseLayers: readonly LayerScan[],
  newFiles: Map<string, Buffer> | null,
): { readonly packages: PackageChanges | null; readonly warnings: readonly string[] } {
  return {
    packages: packageChanges(baseLayers, newFiles),
    warnings: newFiles === null ? ['package changes are known once the new base is pulled'] : [],
  };
}
