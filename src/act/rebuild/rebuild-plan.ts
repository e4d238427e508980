/**
 * The pure parts of a rebuild: which images a Dockerfile pulls (and in which order), what base
 * labels the result carries, and where the classic builder says it is.
 */
import type { DockerfileAnalysis } from '../../inventory/dockerfile/analyze-dockerfile.js';
import { BASE_DIGEST_LABEL, BASE_NAME_LABEL } from '../../link/link-images.js';
import { type ImageRef, formatImageRef, parseImageRef, repositoryName } from '../../refs/image-ref.js';

export interface BasePull {
  /** Normalised reference as the Dockerfile names it (`docker.io/library/python:3.12-slim[@sha256:…]`). */
  readonly ref: string;
  readonly parsed: ImageRef;
  /** What to pull: the pinned digest when there is one, else the tag. */
  readonly pullRef: string;
  /** The FROM the built stage rests on. */
  readonly final: boolean;
}

/**
 * The images the build needs from a registry: FROM and COPY --from images of the stages the
 * classic builder runs (every stage up to the target, not only those the target depends on),
 * each once, the final base first. `RUN --mount=from=` is BuildKit-only and left out.
 */
export function basesToPull(analysis: DockerfileAnalysis): BasePull[] {
  const last = analysis.targetStage ?? Number.POSITIVE_INFINITY;
  const seen = new Map<string, BasePull>();
  const uses = analysis.uses.filter((use) => use.ref !== null && use.kind !== 'mount-from' && use.stageIndex <= last);
  for (const use of [...uses.filter((u) => u.final), ...uses.filter((u) => !u.final)]) {
    const parsed = parseImageRef(use.ref ?? '');
    if (!parsed.ok || seen.has(use.ref ?? '')) continue;
    const ref = parsed.ref;
    const pullRef = ref.digest !== null ? `${repositoryName(ref)}@${ref.digest}` : formatImageRef(ref);
    seen.set(use.ref ?? '', { ref: formatImageRef(ref), parsed: ref, pullRef, final: use.final });
  }
  return [...seen.values()];
}

/** The base name recorded in the label: the tag (digest-free), as rebase stamps it. */
export function baseName(ref: ImageRef): string {
  return formatImageRef({ ...ref, digest: null, tag: ref.tag ?? (ref.digest === null ? 'latest' : null) });
}

/**
 * The base labels a rebuild stamps. With no digest known the digest label is set empty, not left
 * out: Docker copies every label of the FROM image, so a base that carries labels of its own would
 * otherwise lend the image its base's digest under this image's base name.
 */
export function baseLabels(base: { name: string; digest: string | null } | null): Record<string, string> {
  if (base === null) return {};
  return { [BASE_NAME_LABEL]: base.name, [BASE_DIGEST_LABEL]: base.digest ?? '' };
}

export interface BuildStep {
  readonly step: number;
  readonly total: number;
  readonly text: string;
}

/** `Step 3/7 : RUN apt-get update` (the classic builder's step line), or null for any other line. */
export function parseBuildStep(line: string): BuildStep | null {
  const match = /^Step (\d+)\/(\d+) : (.*)$/.exec(line.trim());
  if (match === null) return null;
  return { step: Number(match[1]), total: Number(match[2]), text: match[3] ?? '' };
}
