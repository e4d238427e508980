/** The rebuild's build: the engine's classic builder, on exactly the bases pulled, its output's tail kept. */
import { BuildError, type EngineRegistryAuth } from '../../engine/docker-engine.js';
import type { BuildSpec } from './build-source.js';
import type { DockerfilePlan } from './decide-rebuild.js';
import { baseLabels, baseName, parseBuildStep } from './rebuild-plan.js';
import { RebuildFailure, type RebuildRun } from './rebuild-run.js';
import { LOG_TAIL_LINES, type RebuildDeps } from './rebuild-types.js';

/** Builds the image and returns its ID; a failed build is a RebuildFailure with the build's error line. */
export async function buildOnBases(
  deps: RebuildDeps,
  spec: BuildSpec,
  run: RebuildRun,
  { content, final }: Extract<DockerfilePlan, { ok: true }>,
  auths: readonly EngineRegistryAuth[],
  finalDigest: string | null,
): Promise<string> {
  run.progress('sending the build context');
  const logTail: string[] = [];
  try {
    const built = await deps.engine.buildImage(
      { dir: spec.context, dockerfile: spec.dockerfile, ...(content === undefined ? {} : { dockerfileContent: content }) },
      {
        buildArgs: spec.buildArgs,
        target: spec.target,
        labels: baseLabels(final === null ? null : { name: baseName(final.parsed), digest: finalDigest }),
        // The bases were pulled just now, with the user's credentials: build on exactly those.
        pull: false,
        authconfigs: [...auths],
        onLogLine: (line) => {
          logTail.push(line);
          if (logTail.length > LOG_TAIL_LINES) logTail.shift();
          const step = parseBuildStep(line);
          if (step !== null) deps.onProgress?.(step);
        },
      },
    );
    run.record({ newImageId: built.imageId, logTail: built.logTail.slice(-LOG_TAIL_LINES) });
    return built.imageId;
  } catch (error) {
    if (error instanceof BuildError) {
      run.record({ logTail: error.logTail.slice(-LOG_TAIL_LINES) });
      throw new RebuildFailure([`the build failed: ${error.buildError}`]);
    }
    run.record({ logTail: [...logTail] });
    throw error;
  }
}
