/** The rebuild's first step: read and plan the Dockerfile, find the image it replaces and the tags the result takes. */
import { readBoundedFile } from '../../util/read-bounded-file.js';
import type { ImageDetails } from '../../engine/docker-engine.js';
import type { BuildSpec } from './build-source.js';
import { type DockerfilePlan, planDockerfile, tagsToMove } from './decide-rebuild.js';
import { baseName } from './rebuild-plan.js';
import { RebuildFailure, type RebuildRun } from './rebuild-run.js';
import type { RebuildDeps, RebuildOptions } from './rebuild-types.js';

export interface PreparedRebuild {
  readonly plan: Extract<DockerfilePlan, { ok: true }>;
  /** The image the build replaces; null when there is none (its tags are then given, not moved). */
  readonly old: ImageDetails | null;
  readonly tags: readonly string[];
}

export async function prepareRebuild(deps: RebuildDeps, spec: BuildSpec, options: RebuildOptions, run: RebuildRun): Promise<PreparedRebuild> {
  run.progress(`reading ${spec.dockerfile}`);
  const read = await readBoundedFile(spec.dockerfile, 'dockerfile');
  if (!read.ok) throw new RebuildFailure([`cannot read the Dockerfile ${spec.dockerfile}: it ${read.message}`]);
  const text = read.text;
  const plan = planDockerfile(text, spec.dockerfile, { buildArgs: spec.buildArgs, target: spec.target }, options.approvedBase ?? null);
  if (!plan.ok) throw new RebuildFailure([...plan.reasons]);
  run.warnings.push(...plan.warnings);

  const old = spec.image === null ? null : await deps.engine.inspectImage(spec.image);
  const tags = tagsToMove(spec, old);
  run.record({ image: tags[0] ?? run.outcome.image, tags, oldImageId: old?.id ?? null });
  if (tags.length === 0) {
    throw new RebuildFailure([spec.image === null ? 'no image to replace and no tag to give the result' : `${spec.image} has no tag to move; tag it first`]);
  }
  if (old === null && spec.image !== null) run.warnings.push(`there was no local image ${spec.image}; built it anew`);
  const { final } = plan;
  run.record({ baseRef: final === null ? null : baseName(final.parsed), baseDigest: final?.parsed.digest ?? null });
  return { plan, old, tags };
}
