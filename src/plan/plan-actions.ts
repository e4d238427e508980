/**
 * What `basewatch update` (and the daemon) will do with each image: pure, from the check report,
 * the settings, what the state knows of upstream digests, and the time. `--dry-run` prints these
 * plans as they would run.
 */
import path from 'node:path';
import type { Policy, PolicyRule } from '../config/settings.js';
import type { CheckReport, ImageReport } from '../report/check-report.js';
import { type UpstreamSeen, upstreamKey } from '../resolve/upstream-seen.js';
import { describeSpan } from '../report/when.js';
import { matchesImageGlob } from '../refs/image-glob.js';

export type PlannedAction =
  /** Rebase; when it is refused, rebuild (auto with a known Dockerfile) or only report. */
  | { readonly kind: 'rebase'; readonly otherwise: 'rebuild' | 'report' }
  | { readonly kind: 'rebuild' }
  | { readonly kind: 'report' }
  | { readonly kind: 'skip' };

export interface PlanEntry {
  readonly image: string;
  readonly imageId: string;
  readonly baseRef: string | null;
  /** The upstream digest the action moves to. */
  readonly digest: string | null;
  readonly policy: Policy;
  readonly action: PlannedAction;
  /** Why this action: the rule that chose the policy, or why nothing happens. */
  readonly why: string;
  /** The local base image (by name) this one is rebuilt on after it is updated in the same cycle. */
  readonly waitsOn?: string;
}

export interface PlanInput {
  readonly report: CheckReport;
  readonly policy: Policy;
  readonly policies: readonly PolicyRule[];
  readonly ignore: readonly string[];
  readonly minimumAgeSeconds: number;
  readonly upstream: Readonly<Record<string, UpstreamSeen>>;
  /** Images (ids) with a Dockerfile basewatch knows how to rebuild from (compose or `basewatch link`). */
  readonly buildable: ReadonlySet<string>;
  readonly now: Date;
}

function composeProject(report: CheckReport, image: ImageReport): string | null {
  const file = image.source?.compose;
  return file ? (report.compose.find((entry) => entry.path === file)?.project ?? null) : null;
}

function isInside(file: string, folder: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

export function choosePolicy(input: Pick<PlanInput, 'policy' | 'policies' | 'report'>, image: ImageReport): { policy: Policy; why: string } {
  for (const [index, rule] of input.policies.entries()) {
    if (rule.image !== undefined && !matchesImageGlob(rule.image, image.tags)) continue;
    if (rule.compose !== undefined && composeProject(input.report, image) !== rule.compose) continue;
    if (rule.folder !== undefined && !(image.source?.dockerfile && isInside(image.source.dockerfile, rule.folder))) continue;
    return { policy: rule.policy, why: `policies[${index}] says ${rule.policy}` };
  }
  return { policy: input.policy, why: `default policy ${input.policy}` };
}

export function planActions(input: PlanInput): PlanEntry[] {
  return inChainOrder(input.report.images.map((image): PlanEntry => {
    const base = image.base;
    const common = { image: image.name, imageId: image.id, baseRef: base?.ref ?? null, digest: base?.latest ?? null };
    const skip = (why: string): PlanEntry => ({ ...common, policy: input.policy, action: { kind: 'skip' }, why });

    const ignoredBy = input.ignore.find((glob) => matchesImageGlob(glob, image.tags));
    if (ignoredBy !== undefined) return skip(`ignored (ignore: ${ignoredBy})`);
    const copyMoved = (image.copySources ?? []).some((source) => source.status === 'outdated');
    if (image.status !== 'outdated' || (base === null && !copyMoved)) {
      const why = image.status === 'current' ? 'up to date' : `${image.status}${image.reason ? `: ${image.reason}` : ''}`;
      return skip(why);
    }

    const { policy, why } = choosePolicy(input, image);
    if (base === null || copyMoved) return planCopySourceRebuild(image, { ...common, policy }, why, input.buildable.has(image.id));
    if (base.candidates !== undefined && base.candidates.length > 1) {
      // Acting would mean guessing the tag it was built FROM, and a wrong guess moves the image
      // to another version: only say so, with the command that settles it (in the reason).
      return { ...common, policy, action: { kind: 'report' }, why: `not acted on: which tag it was built FROM is not settled (${image.reason})` };
    }
    const seen = input.upstream[upstreamKey(base.ref, image.platform)];
    if (input.minimumAgeSeconds > 0) {
      // The record of this check; its firstSeenAt already survives other platforms' republishes.
      const firstSeen = seen !== undefined && seen.digest === base.latest ? Date.parse(seen.firstSeenAt) : input.now.getTime();
      const age = Math.max(0, Math.floor((input.now.getTime() - firstSeen) / 1000));
      if (age < input.minimumAgeSeconds) {
        return {
          ...common,
          policy,
          action: { kind: 'skip' },
          // What acts now, so `check` (outdated) and `update` (waiting) do not leave the user stuck.
          // Spans as `status` says them ("1 h", "12 min"): one time format on one screen.
          why: `the new digest was first seen ${age < 5 ? 'just now' : `${describeSpan(age)} ago`}; waiting until it is ${describeSpan(input.minimumAgeSeconds)} old (minimumAge, ${describeSpan(input.minimumAgeSeconds - age)} to go); to act now: basewatch ${policy === 'rebuild' ? 'rebuild' : 'rebase'} ${image.name}, or basewatch config set minimumAge 0`,
        };
      }
    }
    const buildable = input.buildable.has(image.id);
    if (base.waitsOn !== undefined) return planDependent(image, { ...common, policy }, why, buildable);
    switch (policy) {
      case 'notify':
      case 'pin':
        return { ...common, policy, action: { kind: 'report' }, why };
      case 'rebase':
        return { ...common, policy, action: { kind: 'rebase', otherwise: 'report' }, why };
      case 'rebuild':
        return buildable
          ? { ...common, policy, action: { kind: 'rebuild' }, why }
          : { ...common, policy, action: { kind: 'report' }, why: `${why}, but no Dockerfile is known for it (${image.suggestedLink ? `looks built from ${image.suggestedLink.shown}: ${image.suggestedLink.command}` : `basewatch link ${image.name} <Dockerfile>`})` };
      case 'auto':
        return { ...common, policy, action: { kind: 'rebase', otherwise: buildable ? 'rebuild' : 'report' }, why };
    }
  }));
}

/**
 * An image outdated through the local base it is built on (a company base behind its upstream):
 * its base is acted on first in the same cycle, and it follows by a rebuild on the updated local
 * base. A rebase would take the registry's copy of the base, which is not the one it is built on.
 */
function planDependent(image: ImageReport, common: Omit<PlanEntry, 'action' | 'why'>, why: string, buildable: boolean): PlanEntry {
  const waitsOn = image.base?.waitsOn ?? '';
  if (common.policy === 'notify' || common.policy === 'pin') return { ...common, action: { kind: 'report' }, why };
  if (!buildable) {
    const how = image.suggestedLink ? `looks built from ${image.suggestedLink.shown}: ${image.suggestedLink.command}` : `basewatch link ${image.name} <Dockerfile>`;
    return { ...common, action: { kind: 'report' }, why: `${why}; it waits on ${waitsOn}, and only a rebuild puts it on the updated local base, but no Dockerfile is known for it (${how})` };
  }
  return { ...common, action: { kind: 'rebuild' }, waitsOn, why: `${why}; rebuilt on ${waitsOn} once that is updated` };
}

/**
 * An image whose Dockerfile copies from an image that moved upstream: only a rebuild picks that
 * up (a rebase moves the FROM base alone), so it is rebuilt, or reported when it cannot be.
 */
function planCopySourceRebuild(image: ImageReport, common: Omit<PlanEntry, 'action' | 'why'>, why: string, buildable: boolean): PlanEntry {
  if (common.policy === 'notify' || common.policy === 'pin') return { ...common, action: { kind: 'report' }, why };
  if (!buildable) return { ...common, action: { kind: 'report' }, why: `${why}; a copy source moved and only a rebuild picks it up, but no Dockerfile is known for it (basewatch link ${image.name} <Dockerfile>)` };
  return { ...common, action: { kind: 'rebuild' }, why: `${why}; a copy source moved, which only a rebuild picks up` };
}

/** Bases before the images built on them, so one cycle updates a chain in order. */
export function inChainOrder(entries: readonly PlanEntry[]): PlanEntry[] {
  const byName = new Map(entries.map((entry) => [entry.image, entry]));
  const ordered: PlanEntry[] = [];
  const placed = new Set<PlanEntry>();
  const place = (entry: PlanEntry, depth: number): void => {
    if (placed.has(entry) || depth > entries.length) return;
    const base = entry.waitsOn === undefined ? undefined : byName.get(entry.waitsOn);
    if (base !== undefined) place(base, depth + 1);
    placed.add(entry);
    ordered.push(entry);
  };
  for (const entry of entries) place(entry, 0);
  return ordered;
}

export function describePlan(entry: PlanEntry): string {
  switch (entry.action.kind) {
    case 'rebase':
      return entry.action.otherwise === 'rebuild' ? 'rebase (rebuild if not safe)' : 'rebase (report if not safe)';
    case 'rebuild':
      return 'rebuild';
    case 'report':
      return 'report only';
    case 'skip':
      return 'nothing';
  }
}

/**
 * Dockerfiles whose digest pins are behind their tags and whose policy is `pin`: the rule for
 * their folder (the first folder rule containing them), else the default policy.
 */
export function planPinUpdates(input: Pick<PlanInput, 'report' | 'policy' | 'policies'>): string[] {
  return input.report.dockerfiles
    .filter((file) => file.bases.some((base) => base.pinned !== null && base.status === 'outdated'))
    .filter((file) => {
      const rule = input.policies.find((candidate) => candidate.folder !== undefined && isInside(file.path, candidate.folder));
      return (rule?.policy ?? input.policy) === 'pin';
    })
    .map((file) => file.path);
}
