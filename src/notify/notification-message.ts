/**
 * What a cycle tells the user, as data: pure functions from a CycleResult to the items worth a
 * notification and to one message for all of them (one notification per cycle, never one per
 * image). Desktop and webhook senders only deliver what this builds.
 */
import type { ActionKind, ActionOutcome, CycleResult } from '../record/cycle-result.js';

/** Outcomes of actions, plus `newer`: a newer version tag of a base (told once per tag). */
export type NotifiableKind = Extract<ActionKind, 'rebased' | 'rebuilt' | 'pinned' | 'failed' | 'reported'> | 'newer';

export interface NotificationItem {
  readonly kind: NotifiableKind;
  /** Image (first tag), or the Dockerfile for a pin. */
  readonly target: string;
  readonly baseRef: string | null;
  readonly digest: string | null;
  readonly reason: string;
  readonly packages: string | null;
  readonly containers: readonly string[];
  /** The policy the cycle's plan chose for the image (reported items), when known. */
  readonly policy?: string;
}

export interface Notification {
  readonly title: string;
  /** Lines joined with "\n"; the first line stands alone where only one fits. */
  readonly body: string;
  readonly urgency: 'normal' | 'critical';
  readonly items: readonly NotificationItem[];
}

const NOTIFIABLE: ReadonlySet<ActionKind> = new Set(['rebased', 'rebuilt', 'pinned', 'failed', 'reported']);
const ORDER: readonly NotifiableKind[] = ['rebased', 'rebuilt', 'pinned', 'reported', 'failed', 'newer'];

/**
 * The outcomes a user should hear about. A dry run changes nothing and whoever asked for it
 * reads the result directly; skipped images (current, waiting for minimumAge, ignored) are quiet.
 */
export function notifiableItems(result: CycleResult): NotificationItem[] {
  if (result.dryRun) return [];
  const policyOf = (target: string): string | undefined => result.plan.find((entry) => entry.image === target)?.policy;
  const actions = result.actions
    .filter((action): action is ActionOutcome & { kind: Exclude<NotifiableKind, 'newer'> } => NOTIFIABLE.has(action.kind))
    .map((action) => ({
      kind: action.kind,
      target: action.target,
      baseRef: action.baseRef,
      digest: action.digest,
      reason: action.reason,
      packages: action.packages,
      containers: action.containersOnOldImage,
      ...(action.kind === 'reported' && policyOf(action.target) !== undefined ? { policy: policyOf(action.target) } : {}),
    }));
  return [...actions, ...newerItems(result)];
}

/**
 * One item per base reference with a newer minor or major version tag (patches come through
 * the digest updates anyway). The "digest" is the newest such tag, so each new tag is news once.
 */
function newerItems(result: CycleResult): NotificationItem[] {
  const bases = [
    ...result.report.images.flatMap((image) => (image.base ? [image.base] : [])),
    ...result.report.dockerfiles.flatMap((file) => file.bases),
  ];
  const items = new Map<string, NotificationItem>();
  for (const base of bases) {
    const newest = (base.newer ?? []).find((proposal) => proposal.kind !== 'patch');
    const ref = base.ref.replace(/@.*$/, '');
    if (newest === undefined || items.has(ref)) continue;
    items.set(ref, { kind: 'newer', target: ref, baseRef: ref, digest: newest.tag, reason: `${newest.tag} (${newest.kind})`, packages: null, containers: [] });
  }
  return [...items.values()];
}

/**
 * What "the same notification" means: one outcome for one image and one upstream digest. A later
 * different outcome for the same digest (update available → rebased, or → failed) is news.
 */
export function notificationKey(item: NotificationItem): string {
  return `${item.kind} ${item.target} ${item.digest ?? '-'}`;
}

/** "docker.io/library/python:3.12-slim" → "python:3.12-slim", as people write it. */
export function shortRef(ref: string): string {
  return ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

/** "app:dev", "app:dev and web:1", "app:dev, web:1 and api:2", "4 images". */
export function listTargets(targets: readonly string[], noun = 'image'): string {
  const unique = [...new Set(targets)];
  if (unique.length > 3) return `${unique.length} ${noun}s`;
  if (unique.length <= 1) return unique[0] ?? `no ${noun}`;
  return `${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1]}`;
}

/**
 * Package names out of summaries like "openssl 3.0.15-1 → 3.0.16-1; 4 more; 1 added":
 * "openssl and 4 more". Null when no summary names a change.
 */
export function patchedPackages(summaries: ReadonlyArray<string | null>): string | null {
  const names: string[] = [];
  let more = 0;
  for (const summary of summaries) {
    if (summary === null) continue;
    for (const part of summary.split(';').map((text) => text.trim())) {
      const change = /^(\S+) \S+ → \S+$/.exec(part);
      if (change?.[1] !== undefined) names.push(change[1]);
      const rest = /^(\d+) (?:more|changed)$/.exec(part);
      if (rest?.[1] !== undefined) more = Math.max(more, Number(rest[1]));
    }
  }
  const unique = [...new Set(names)];
  if (unique.length === 0) return more > 0 ? `${more} packages` : null;
  if (more > 0) return `${unique.slice(0, 3).join(', ')} and ${more + Math.max(0, unique.length - 3)} more`;
  return unique.length > 3 ? `${unique.slice(0, 3).join(', ')} and ${unique.length - 3} more` : unique.join(', ');
}

function byBase(items: readonly NotificationItem[]): Map<string | null, NotificationItem[]> {
  const groups = new Map<string | null, NotificationItem[]>();
  for (const item of items) groups.set(item.baseRef, [...(groups.get(item.baseRef) ?? []), item]);
  return groups;
}

function firstLine(text: string, max = 140): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function movedLine(verb: 'Rebased' | 'Rebuilt', preposition: string, base: string | null, items: readonly NotificationItem[]): string {
  const targets = items.map((item) => item.target);
  const onto = base === null ? '' : ` ${preposition} ${shortRef(base)}`;
  const packages = patchedPackages(items.map((item) => item.packages));
  const patched = packages === null ? '' : ` (${packages} patched)`;
  const first = targets[0] ?? '';
  const undo = targets.length === 1 ? `Undo: basewatch rollback ${first}` : `Undo: basewatch rollback IMAGE, e.g. ${first}`;
  return `${verb} ${listTargets(targets)}${onto}${patched}. ${undo}`;
}

function linesFor(kind: NotifiableKind, items: readonly NotificationItem[]): string[] {
  switch (kind) {
    case 'rebased':
      return [...byBase(items)].map(([base, group]) => movedLine('Rebased', 'onto', base, group));
    case 'rebuilt':
      return [...byBase(items)].map(([base, group]) => movedLine('Rebuilt', 'on', base, group));
    case 'pinned':
      return [...byBase(items)].map(([base, group]) => {
        const files = group.map((item) => item.target);
        return `Pinned ${listTargets(files, 'Dockerfile')} to the new ${base === null ? 'base' : shortRef(base)} digest.`;
      });
    case 'reported': {
      // Under notify or pin only a person acts on the image: name the policy and the command that
      // does act (`update` would only report again). Under a policy that acts, it was held back:
      // the reason says why and what settles it (a link to confirm, a refusal).
      const onlyTold = items.filter((item) => item.policy === 'notify' || item.policy === 'pin');
      const heldBack = items.filter((item) => !onlyTold.includes(item));
      const told = [...byBase(onlyTold)].map(([base, group]) => {
        const targets = group.map((item) => item.target);
        const on = base === null ? '' : ` (${shortRef(base)})`;
        const policies = [...new Set(group.map((item) => item.policy))].join(' and ');
        const run = targets.length === 1 ? `basewatch rebase ${targets[0]}` : `basewatch rebase IMAGE, e.g. ${targets[0]}`;
        return `Update available for ${listTargets(targets)}${on}; policy is ${policies}, so basewatch only tells you. To update now: ${run}`;
      });
      const held = heldBack.slice(0, 3).map((item) => {
        const on = item.baseRef === null ? '' : ` (${shortRef(item.baseRef)})`;
        const policy = item.policy === undefined ? '' : `policy ${item.policy}, `;
        return `Update available for ${item.target}${on}, not applied (${policy}${firstLine(item.reason.replace(/^update available \((.*)\)$/, '$1'), 240)})`;
      });
      if (heldBack.length > 3) held.push(`  and ${heldBack.length - 3} more (basewatch status)`);
      return [...told, ...held];
    }
    case 'newer':
      return [`Newer base versions: ${items.map((item) => `${shortRef(item.target)} → ${item.reason}`).join(', ')}.`];
    case 'failed':
      return items.length === 1
        ? [`Could not update ${items[0]!.target}: ${firstLine(items[0]!.reason)}`]
        : [`Could not update ${items.length} images:`, ...items.slice(0, 3).map((item) => `  ${item.target}: ${firstLine(item.reason, 90)}`), ...(items.length > 3 ? [`  and ${items.length - 3} more (basewatch status)`] : [])];
  }
}

function containersLine(items: readonly NotificationItem[]): string | null {
  const containers = [...new Set(items.filter((item) => item.kind === 'rebased' || item.kind === 'rebuilt').flatMap((item) => item.containers))];
  if (containers.length === 0) return null;
  const names = containers.slice(0, 3).map((name) => name.replace(/ \([0-9a-f]+\)$/, '')).join(', ') + (containers.length > 3 ? ', …' : '');
  return containers.length === 1
    ? `1 container still runs the old image: restart it to pick it up (${names}).`
    : `${containers.length} containers still run the old image: restart them to pick it up (${names}).`;
}

function titleFor(items: readonly NotificationItem[]): string {
  const count = (kinds: readonly NotifiableKind[]) => new Set(items.filter((item) => kinds.includes(item.kind)).map((item) => item.target)).size;
  const updated = count(['rebased', 'rebuilt', 'pinned']);
  const failed = count(['failed']);
  const available = count(['reported']);
  const newer = count(['newer']);
  const parts: string[] = [];
  if (updated > 0) parts.push(`${updated} image${updated === 1 ? '' : 's'} updated`);
  if (available > 0) parts.push(`${available} update${available === 1 ? '' : 's'} available`);
  if (failed > 0) parts.push(`${failed} failed`);
  if (newer > 0) parts.push(`${newer} newer base version${newer === 1 ? '' : 's'}`);
  return `basewatch: ${parts.join(', ')}`;
}

/** The one notification for these items, or null when there is nothing to say. */
export function buildNotification(items: readonly NotificationItem[]): Notification | null {
  if (items.length === 0) return null;
  const lines: string[] = [];
  for (const kind of ORDER) {
    const group = items.filter((item) => item.kind === kind);
    if (group.length > 0) lines.push(...linesFor(kind, group));
  }
  const containers = containersLine(items);
  if (containers !== null) lines.push(containers);
  return {
    title: titleFor(items),
    body: lines.join('\n'),
    urgency: items.some((item) => item.kind === 'failed') ? 'critical' : 'normal',
    items,
  };
}
