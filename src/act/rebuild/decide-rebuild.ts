/**
 * The rebuild's decisions, pure: what the Dockerfile builds on (pinned to an approved base when
 * there is one) and which tags the result takes, moved from the old image or given anew.
 */
import { type AnalyzeOptions, type DockerfileAnalysis, analyzeDockerfile } from '../../inventory/dockerfile/analyze-dockerfile.js';
import type { ImageDetails } from '../../engine/docker-engine.js';
import { familiarImageRef, formatImageRef, parseImageRef } from '../../refs/image-ref.js';
import { withoutKeepTags } from '../../refs/keep-tags.js';
import type { BuildSpec } from './build-source.js';
import { type ApprovedBase, pinApprovedBase } from './pin-approved-base.js';
import { type BasePull, basesToPull } from './rebuild-plan.js';

export type DockerfilePlan =
  | {
      readonly ok: true;
      /** The analysis of the text the engine builds from. */
      readonly analysis: DockerfileAnalysis;
      /** That text when it is not the file's own (a base was pinned); else undefined. */
      readonly content: string | undefined;
      /** What the build pulls, the final base first (rebuild-plan.ts). */
      readonly pulls: readonly BasePull[];
      readonly final: BasePull | null;
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly reasons: readonly string[] };

/** Plans the build from the Dockerfile's text (`file` names it in reasons). */
export function planDockerfile(text: string, file: string, options: AnalyzeOptions, approved: ApprovedBase | null): DockerfilePlan {
  const analysis = analyzeDockerfile(text, options);
  if (analysis.errors.length > 0) return { ok: false, reasons: analysis.errors.map((e) => `${file}:${e.line}: ${e.message}`) };
  if (approved === null) return planned(analysis, undefined, []);
  const pinning = pinApprovedBase(text, approved, options);
  if (!pinning.ok) return { ok: false, reasons: [`${file}:${pinning.line}: ${pinning.message}`] };
  const warnings = pinning.warning === null ? [] : [pinning.warning];
  // With a pin, the pinned text is the Dockerfile: its pins are what is pulled, built on and labelled.
  return pinning.lines.length > 0 ? planned(pinning.analysis, pinning.content, warnings) : planned(analysis, undefined, warnings);
}

function planned(analysis: DockerfileAnalysis, content: string | undefined, warnings: readonly string[]): DockerfilePlan {
  const pulls = basesToPull(analysis);
  return { ok: true, analysis, content, pulls, final: pulls.find((pull) => pull.final) ?? null, warnings };
}

/** The spec's tags; else every tag of the image replaced (not our keep tags); else the image's own name when it is one. */
export function tagsToMove(spec: Pick<BuildSpec, 'tags' | 'image'>, old: Pick<ImageDetails, 'repoTags'> | null): string[] {
  const familiar = (name: string): string => {
    const parsed = parseImageRef(name);
    return parsed.ok ? familiarImageRef(parsed.ref) : name;
  };
  if (spec.tags.length > 0) return [...new Set(spec.tags.map(familiar))];
  if (old !== null) return withoutKeepTags(old.repoTags);
  if (spec.image !== null && !/^(sha256:)?[0-9a-f]{12,64}$/.test(spec.image) && parseImageRef(spec.image).ok) return [familiar(spec.image)];
  return [];
}

/** The result's tags split: those on the old image are moved (and journalled), the others given. */
export function splitTags(tags: readonly string[], oldTags: readonly string[]): { readonly onOld: string[]; readonly given: string[] } {
  const onOld = tags.filter((tag) => oldTags.some((other) => sameTag(other, tag)));
  return { onOld, given: tags.filter((tag) => !onOld.includes(tag)) };
}

function sameTag(a: string, b: string): boolean {
  const [left, right] = [parseImageRef(a), parseImageRef(b)];
  return left.ok && right.ok ? formatImageRef(left.ref) === formatImageRef(right.ref) : a === b;
}
