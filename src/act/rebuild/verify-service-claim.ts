/**
 * `basewatch rebuild IMAGE` with no `basewatch link`: a compose service that names the image is
 * built from only when the check would take it as the image's build (link/verify-build-claim): the
 * image's own history is that service's Dockerfile, on its base, and the Dockerfile and context
 * lie under the roots. A compose file naming an image it did not build never replaces it.
 */
import type { ComposeService } from '../../inventory/compose/analyze-compose.js';
import type { EngineClient, ImageDetails } from '../../engine/docker-engine.js';
import { readLocalImages } from '../../inventory/read-images.js';
import { linkImages } from '../../link/link-images.js';
import { outsideRoots, rootFolders, verifyBuildClaim } from '../../link/verify-build-claim.js';
import { normalizeImageRef } from '../../refs/image-ref.js';
import { readBoundedFile } from '../../util/read-bounded-file.js';

/** Why the service is not the image's build, or null when it is. */
export async function serviceClaimProblem(engine: EngineClient, image: ImageDetails, service: ComposeService, roots: readonly string[]): Promise<string | null> {
  const build = service.build;
  if (build === null || build.remote) return null; // refused later, with its own reason
  const outside = outsideRoots({ dockerfile: build.dockerfile, context: build.context }, await rootFolders(roots));
  if (outside !== null) return outside;
  // Read like every Dockerfile (a FIFO or a huge file in its place is no text, never a hang).
  const read = build.dockerfile === null ? null : await readBoundedFile(build.dockerfile, 'dockerfile');
  const text = build.dockerfile === null ? build.dockerfileInline : read?.ok === true ? read.text : null;
  const local = await readLocalImages(engine);
  const link = linkImages({ images: local.images, hints: [], histories: local.histories }).find((candidate) => candidate.image.id === image.id);
  const base = link?.base ?? null;
  const baseId = base?.localId ?? null;
  const history = async (id: string): Promise<string[] | null> => (await engine.imageHistory(id).catch(() => null))?.map((entry) => entry.createdBy) ?? null;
  const baseTags = local.images.find((candidate) => candidate.id === baseId)?.repoTags ?? [];
  const verdict = verifyBuildClaim(
    { text, dockerfile: build.dockerfile, context: build.context, buildArgs: build.args, target: build.target },
    {
      ownHistory: await history(image.id),
      baseHistory: baseId === null ? null : await history(baseId),
      baseRefs: base === null ? [] : [base.ref, ...(link?.candidates ?? []), ...baseTags.flatMap((tag) => normalizeImageRef(tag) ?? [])],
      baseDigest: base?.digest ?? null,
    },
  );
  return verdict.ok ? null : verdict.why;
}
