/**
 * A rebuild for an update plan must build on the base digest the plan approved (the check saw it
 * upstream and `minimumAge` let it through), not on whatever the tag names by the time the build
 * runs. This rewrites the Dockerfile text sent to the engine so that every FROM and COPY --from
 * that names the approved base by its tag names it as `tag@digest` instead. Pure.
 *
 * Why a rewrite of the Dockerfile sent in the build context, and not the alternatives:
 * - Pull `repo@digest` and tag it locally as the FROM's tag: the classic builder resolves FROM
 *   through the local tag when the build runs, so anything that moves the tag in between (a
 *   `docker pull` by the user, another tool) still changes the base; and it moves the user's tag,
 *   backwards when they had pulled something newer meanwhile. A rebase, too, pulls the approved
 *   base by digest and leaves the base's local tag alone.
 * - A build arg: only works for a Dockerfile whose FROM is written as `${ARG}`.
 * A digest in the FROM is resolved by the builder from the digest alone (the engine's reference
 * store ignores the tag next to a digest; BuildKit pins to it), so the build uses exactly the
 * image we pulled. The file on disk is not touched: the rewritten text travels only in the tar
 * (build-context.ts `dockerfileContent`).
 *
 * The image text is replaced by the use's expanded value plus the digest, so an ARG-assembled
 * FROM (`FROM ${REPO}:${TAG}`, `--build-arg` overrides included) is pinned to what it expands to
 * in this build; FROM only sees the global ARGs, which are fixed for the build. Flags
 * (`--platform`), stage names, stage references (`FROM build`, `COPY --from=build`), and images
 * other than the approved base are left as written. A use already pinned to a digest in the file
 * keeps its pin: the user asked for exactly that image.
 */
import { analyzeDockerfile, type AnalyzeOptions, type DockerfileAnalysis, type DockerfileImageUse } from '../../inventory/dockerfile/analyze-dockerfile.js';
import { parseDockerfile } from '../../inventory/dockerfile/parse-dockerfile.js';
import { applyPinEdits, pinnedText } from '../pin/pin-dockerfile.js';
import { instructionWords } from '../pin/instruction-words.js';
import { familiarImageRef, formatImageRef, parseImageRef, withoutDigest } from '../../refs/image-ref.js';

export interface ApprovedBase {
  /** The base reference the plan checked, by tag: `docker.io/library/python:3.12-slim`. */
  readonly ref: string;
  /** The upstream digest the plan approved (for a multi-arch tag, the index digest the check saw). */
  readonly digest: string;
}

export type ApprovedPinning =
  | {
      readonly ok: true;
      /** The Dockerfile text to build from; the input itself when nothing was pinned. */
      readonly content: string;
      /** The analysis of `content` (with the same options): what the build pulls and rests on. */
      readonly analysis: DockerfileAnalysis;
      /** 1-based lines of the instructions whose image text now carries the approved digest. */
      readonly lines: readonly number[];
      /** Why the built stage does not rest on the approved digest, when it does not. */
      readonly warning: string | null;
    }
  | { readonly ok: false; readonly line: number; readonly message: string };

/** The use's reference by tag (`python` → `docker.io/library/python:latest`), or null. */
function tagRef(ref: string | null): string | null {
  if (ref === null) return null;
  const parsed = parseImageRef(ref);
  return parsed.ok ? formatImageRef(withoutDigest(parsed.ref)) : null;
}

function namesApproved(use: DockerfileImageUse, approvedRef: string): boolean {
  return (use.kind === 'from' || use.kind === 'copy-from') && use.ref !== null && tagRef(use.ref) === approvedRef;
}

/** Where the image text of a FROM / COPY --from sits in the file (the whole word, quotes included). */
function imageSpan(content: string, escapeChar: string, use: DockerfileImageUse): { start: number; end: number } | null {
  const words = instructionWords(content, use.line, escapeChar).slice(1);
  if (use.kind === 'from') {
    const word = words.find((candidate) => !candidate.text.startsWith('--'));
    return word === undefined ? null : { start: word.start, end: word.end };
  }
  const word = words.find((candidate) => candidate.text.startsWith('--from=') && candidate.text.slice('--from='.length) === use.written);
  return word === undefined ? null : { start: word.start + '--from='.length, end: word.end };
}

/**
 * Pins the approved base in `content`, analysed with `options` (the build's args and target).
 * A use that cannot be found in the text, or a rewrite that does not analyse back to the approved
 * digest, is a failure: building anyway would adopt a digest nobody approved.
 */
export function pinApprovedBase(content: string, approved: ApprovedBase, options: AnalyzeOptions = {}): ApprovedPinning {
  const parsedApproved = parseImageRef(approved.ref);
  if (!parsedApproved.ok) return { ok: false, line: 0, message: `the approved base "${approved.ref}" is not an image reference` };
  const approvedRef = formatImageRef(withoutDigest(parsedApproved.ref));
  const shown = `${familiarImageRef(withoutDigest(parsedApproved.ref))}@${approved.digest}`;
  const analysis = analyzeDockerfile(content, options);
  const { escapeChar } = parseDockerfile(content);

  const chosen: number[] = [];
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const [index, use] of analysis.uses.entries()) {
    if (!namesApproved(use, approvedRef) || use.pinned !== null) continue;
    const span = imageSpan(content, escapeChar, use);
    if (span === null) return { ok: false, line: use.line, message: `cannot find the image "${use.written}" in the instruction text to pin it to ${approved.digest}` };
    chosen.push(index);
    edits.push({ ...span, text: pinnedText(use.expanded, approved.digest) });
  }

  const final = analysis.uses.find((use) => use.final) ?? null;
  let warning: string | null = null;
  if (final === null) {
    warning = `the plan approved ${shown}, but the built stage of the Dockerfile does not rest on an image; built it as written`;
  } else if (!namesApproved(final, approvedRef)) {
    warning = `the plan approved ${shown}, but the Dockerfile now builds on ${final.expanded}; built on that as its tag is now`;
  } else if (final.pinned !== null && final.pinned !== approved.digest) {
    warning = `the Dockerfile pins ${final.expanded}; built on that pin, not on the approved ${approved.digest}`;
  }
  if (edits.length === 0) return { ok: true, content, analysis, lines: [], warning };

  const pinned = applyPinEdits(content, edits);
  const after = analyzeDockerfile(pinned, options);
  // The edit only replaces image text, so the uses keep their order; check each one landed.
  for (const index of chosen) {
    const use = after.uses[index];
    if (use === undefined || use.pinned !== approved.digest || tagRef(use.ref) !== approvedRef || after.errors.length > analysis.errors.length) {
      const line = analysis.uses[index]?.line ?? 0;
      return { ok: false, line, message: `pinning "${analysis.uses[index]?.written ?? ''}" to ${approved.digest} did not give a Dockerfile that uses it` };
    }
  }
  return { ok: true, content: pinned, analysis: after, lines: chosen.map((index) => analysis.uses[index]?.line ?? 0), warning };
}
