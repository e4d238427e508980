/**
 * Human output of `basewatch check` (and the body of `status`): laid out for the terminal's width
 * (80 columns when not a terminal), what needs attention first. Base images and images with no
 * known base are no one's problem: a count, unless `--all`.
 */
import path from 'node:path';
import { parseImageRef, familiarImageRef } from '../refs/image-ref.js';
import type { BaseNotes, CheckReport, DockerfileBaseReport, DockerfileReport, ImageReport, ImageStatus } from '../report/check-report.js';
import { describeWhen } from '../report/when.js';
import { type Style, type TableColumn, fitTable, truncateEnd, truncateMiddle, visibleLength, wrapWords } from './style.js';

/** `docker.io/library/python:3.12` -> `python:3.12`, the way people write it. */
export function shortRef(ref: string): string {
  let short = shortRefs.get(ref);
  if (short === undefined) {
    const parsed = parseImageRef(ref);
    short = parsed.ok ? familiarImageRef(parsed.ref) : ref;
    if (shortRefs.size >= 1000) shortRefs.clear();
    shortRefs.set(ref, short);
  }
  return short;
}

/** A table names a few bases hundreds of times: each is parsed once. */
const shortRefs = new Map<string, string>();

export function shortDigest(digest: string | null): string {
  if (digest === null) return '-';
  const [algorithm, hex] = digest.split(':');
  return hex === undefined ? digest : `${algorithm}:${hex.slice(0, 12)}`;
}

/** A digest in a table cell: its first 12 hex digits, as `docker images` shows an id. */
export function tinyDigest(digest: string | null): string {
  if (digest === null) return '-';
  const hex = digest.split(':')[1];
  return hex === undefined ? digest : hex.slice(0, 12);
}

export interface RenderOptions {
  /** Columns to fit in. */
  readonly width: number;
  /** List everything: current images, base images, every Dockerfile and compose file. */
  readonly all: boolean;
  /** Paths under this folder are shown relative to it. */
  readonly cwd: string;
  /** The roots of the report: paths under one are shown from its name (set by renderCheck). */
  readonly roots?: readonly string[];
  readonly now: Date;
  /** For tests; people get the machine's own. */
  readonly timeZone?: string;
}

/**
 * `./api/Dockerfile` under the folder basewatch ran in; under a root typed in elsewhere, from
 * that root's own name (`shop/api/Dockerfile`); else the path as it is.
 */
export function displayPath(file: string, cwd: string, roots: readonly string[] = []): string {
  if (!path.isAbsolute(file)) return file;
  const inside = (folder: string): string | null => {
    const relative = path.relative(folder, file);
    return relative.startsWith('..') || path.isAbsolute(relative) ? null : relative;
  };
  const fromCwd = inside(cwd);
  if (fromCwd !== null) return fromCwd === '' ? '.' : `./${fromCwd}`;
  for (const root of roots) {
    const fromRoot = inside(root);
    if (fromRoot !== null && path.basename(root) !== '') return path.join(path.basename(root), fromRoot);
  }
  return file;
}

function colorStatus(status: ImageStatus | DockerfileBaseReport['status'], style: Style): string {
  switch (status) {
    case 'current':
      return style.green(status);
    case 'outdated':
      return style.yellow(status);
    case 'error':
      return style.red(status);
    default:
      return style.dim(status);
  }
}

/** "newer 3.13-slim (minor)" and an end-of-life warning, when there is something to say. */
export function describeNotes(notes: BaseNotes, style: Style): string[] {
  const out: string[] = [];
  if (notes.newer !== null && notes.newer.length > 0) {
    const newestPerKind = ['major', 'minor', 'patch'].flatMap((kind) => notes.newer?.filter((n) => n.kind === kind).slice(0, 1) ?? []);
    out.push(style.cyan(`newer: ${newestPerKind.map((n) => `${n.tag} (${n.kind})`).join(', ')}`));
  }
  if (notes.eol !== null && notes.eol.status !== 'ok') out.push((notes.eol.status === 'past' ? style.red : style.yellow)(notes.eol.message));
  return out;
}

function hasNotes(notes: BaseNotes): boolean {
  return (notes.newer !== null && notes.newer.length > 0) || (notes.eol !== null && notes.eol.status !== 'ok');
}

/** Where an image falls in the output, most urgent first. */
export type ImageGroup = 'attention' | 'unknown' | 'current' | 'base' | 'no-base';

export function groupImage(image: ImageReport, baseIds: ReadonlySet<string>): ImageGroup {
  if (image.status === 'outdated' || image.status === 'error') return 'attention';
  if (image.base !== null && hasNotes(image.base)) return 'attention';
  // A Dockerfile it looks built from, and the command that links it.
  if (image.suggestedLink !== undefined) return 'attention';
  // A compose file claims this image without the evidence to back it: the user should know.
  if (image.unlinkedClaims !== undefined && image.unlinkedClaims.length > 0) return 'attention';
  if (image.status === 'unlinked') {
    // Built here from a known or likely Dockerfile, yet unlinked: worth a look.
    if (image.suggestedLink !== undefined || image.source !== null) return 'attention';
    return baseIds.has(image.id) ? 'base' : 'no-base';
  }
  return image.status === 'unknown' ? 'unknown' : 'current';
}

const GROUP_TITLES: Record<ImageGroup, string> = {
  attention: 'Needs attention',
  unknown: 'Not checked upstream',
  current: 'Up to date',
  base: 'Base images',
  'no-base': 'Images with no known base',
};

/**
 * Indented lines of at most `width` columns: a long text wraps (its later lines two further in),
 * up to `maxLines`, then is cut.
 */
function continuation(text: string, width: number, indent: number, maxLines = 3, keepWords = false): string[] {
  // What fits stays as written (its spacing too).
  if (indent + visibleLength(text) <= width && !text.includes('\n')) return [' '.repeat(indent) + text];
  const room = Math.max(10, width - indent - 2);
  const [first = '', ...rest] = wrapWords(text, Math.max(10, width - indent), keepWords);
  const more = rest.length === 0 ? [] : wrapWords(rest.join(' '), room, keepWords);
  const lines = [' '.repeat(indent) + first, ...more.map((line) => ' '.repeat(indent + 2) + line)];
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = ' '.repeat(indent + 2) + truncateEnd(more.slice(maxLines - 2).join(' '), room);
  return kept;
}

function builtFrom(image: ImageReport, cwd: string, roots: readonly string[]): string {
  const source = image.source;
  if (source === null) return '';
  if (source.service !== null) return `${source.service} (${source.compose === null ? '?' : displayPath(source.compose, cwd, roots)})`;
  return source.dockerfile === null ? '' : displayPath(source.dockerfile, cwd, roots);
}

const IMAGE_COLUMNS: readonly TableColumn[] = [
  { title: 'IMAGE', keep: 0, minWidth: 24, softMax: 40, cut: 'middle', cutOrder: 1 },
  { title: 'STATUS', keep: 0 },
  { title: 'BASE', keep: 0, minWidth: 24, softMax: 30, cut: 'middle', cutOrder: 2 },
  { title: 'BUILT ON', keep: 3 },
  { title: 'LATEST', keep: 2 },
  { title: 'VIA', keep: 4 },
  { title: 'BUILT FROM', keep: 5, minWidth: 16, softMax: 30, cut: 'middle', cutOrder: 3 },
];

function imageCells(image: ImageReport, options: RenderOptions, style: Style): string[] {
  const base = image.base;
  const latest = base === null || base.latest === null ? '-' : base.latest === base.digest ? 'same' : tinyDigest(base.latest);
  return [
    image.name,
    colorStatus(image.status, style),
    base === null ? '-' : shortRef(base.ref),
    tinyDigest(base?.digest ?? null),
    latest,
    base?.via ?? '-',
    builtFrom(image, options.cwd, options.roots ?? []),
  ];
}

/** The notes under an image's row: what is new upstream, why, and the command that links it. */
function imageNotes(image: ImageReport, options: RenderOptions, style: Style): string[] {
  const indent = 4;
  const lines: string[] = [];
  const notes = image.base === null ? [] : describeNotes(image.base, style);
  for (const note of notes) lines.push(...continuation(note, options.width, indent));
  // Offline, "not checked upstream" is said once at the top, not under every image.
  let reason = image.reason.replace(/^not checked upstream \(offline\)(; )?/, '');
  const claims = image.unlinkedClaims ?? [];
  // The reason spells each claim out with absolute paths; its own lines below say it shorter.
  for (const claim of claims) {
    const at = reason.indexOf(claim.compose);
    if (at >= 0) reason = reason.slice(0, at).replace(/;\s*$/, '');
  }
  if (reason !== '') lines.push(...continuation(reason, options.width, indent).map((line) => style.dim(line)));
  for (const claim of claims) {
    const where = `${displayPath(claim.compose, options.cwd, options.roots ?? [])} (service ${claim.service})`;
    lines.push(...continuation(`${where} claims ${image.name} but ${claim.reason}; not linked. If it does build it:`, options.width, indent, 3, true));
    lines.push(' '.repeat(indent + 2) + style.cyan(`basewatch link ${image.name} ${claim.dockerfile ?? claim.compose}`));
  }
  if (image.suggestedLink !== undefined) {
    lines.push(...continuation(`built from ${image.suggestedLink.shown}? Link it:`, options.width, indent));
    // A command is copied whole: never cut, even when it is wider than the terminal.
    lines.push(' '.repeat(indent + 2) + style.cyan(image.suggestedLink.command));
  }
  return lines;
}

function renderImages(report: CheckReport, options: RenderOptions, style: Style): string[] {
  const out: string[] = [];
  const baseIds = new Set(report.images.flatMap((image) => (image.base?.localId == null ? [] : [image.base.localId])));
  const groups = new Map<ImageGroup, ImageReport[]>();
  for (const image of report.images) {
    const group = groupImage(image, baseIds);
    const members = groups.get(group);
    if (members === undefined) groups.set(group, [image]);
    else members.push(image);
  }
  const listed: ImageGroup[] = options.all ? ['attention', 'unknown', 'current', 'base', 'no-base'] : ['attention', 'unknown', 'current'];
  const shown = listed.filter((group) => (groups.get(group)?.length ?? 0) > 0);
  // One table for every group shown, so the columns line up from one group to the next.
  const rows = shown.flatMap((group) => groups.get(group) ?? []);
  const table = fitTable(IMAGE_COLUMNS, rows.map((image) => imageCells(image, options, style)), options.width, style, 2);
  const [header, ...lines] = table.lines;
  let index = 0;
  for (const group of shown) {
    const images = groups.get(group) ?? [];
    out.push('', style.bold(`${GROUP_TITLES[group]} (${images.length})`));
    if (header !== undefined) out.push(header);
    for (const image of images) {
      out.push(lines[index] ?? '');
      index += 1;
      // Reasons matter where something is to be done; a current image's reason is noise.
      if (group === 'attention' || group === 'unknown' || options.all) out.push(...imageNotes(image, options, style));
    }
  }
  if (report.images.length === 0) out.push('', style.bold('Images (0)'), style.dim(report.engine === null ? '  (no engine)' : '  no tagged images'));
  const hidden = options.all ? [] : (['base', 'no-base'] as const).filter((group) => (groups.get(group)?.length ?? 0) > 0);
  if (hidden.length > 0) {
    const counts = hidden.map((group) => {
      const n = groups.get(group)?.length ?? 0;
      return group === 'base' ? `${n} base image${n === 1 ? '' : 's'}` : `${n} image${n === 1 ? '' : 's'} with no known base`;
    });
    out.push('', ...continuation(style.dim(`Not listed: ${counts.join(', ')} (--all lists them).`), options.width, 0, 2));
  }
  return out;
}

function baseNeedsAttention(base: DockerfileBaseReport): boolean {
  return base.status === 'outdated' || base.status === 'error' || hasNotes(base);
}

function baseLines(base: DockerfileBaseReport, options: RenderOptions, style: Style): string[] {
  const instruction = base.kind === 'from' ? 'FROM' : base.kind === 'copy-from' ? 'COPY --from' : 'RUN --mount from';
  const status = base.checkedAt !== null ? `${colorStatus(base.status, style)} ` : '';
  const facts = [
    base.final ? 'final' : null,
    base.stage !== null ? `stage ${base.stage}` : null,
    base.platform !== null ? `platform ${base.platform}` : null,
    base.pinned !== null ? `pinned ${tinyDigest(base.pinned)}` : null,
    base.local !== null ? `local ${tinyDigest(base.local)}` : null,
    base.latest !== null ? `latest ${tinyDigest(base.latest)}` : null,
  ].filter((fact): fact is string => fact !== null);
  const head = `  line ${String(base.line).padEnd(4)} ${status}${instruction} ${shortRef(base.ref)}`;
  const withFacts = facts.length > 0 ? `${head}  ${style.dim(facts.join(', '))}` : head;
  const first = visibleLength(withFacts) <= options.width ? withFacts : truncateEnd(head, options.width);
  const notes = [...describeNotes(base, style), ...(base.reason !== '' && baseNeedsAttention(base) ? [style.dim(base.reason)] : [])];
  return [first, ...notes.flatMap((note) => continuation(note, options.width, 4))];
}

function renderDockerfiles(files: readonly DockerfileReport[], options: RenderOptions, style: Style): string[] {
  const worth = (file: DockerfileReport): boolean => file.errors.length > 0 || file.bases.some(baseNeedsAttention);
  const listed = options.all ? files : files.filter(worth);
  const out = ['', style.bold(`Dockerfiles (${options.all ? files.length : `${listed.length} of ${files.length}`})`)];
  if (files.length === 0) out.push(style.dim('  none found under the roots'));
  for (const file of listed) {
    const usedBy = file.usedBy.length > 0 ? style.dim(`  built by ${file.usedBy.join(', ')}`) : '';
    const name = displayPath(file.path, options.cwd, options.roots);
    out.push(truncateEnd(`${truncateMiddle(name, options.width)}${usedBy}`, options.width));
    const bases = options.all ? file.bases : file.bases.filter(baseNeedsAttention);
    for (const base of bases) out.push(...baseLines(base, options, style));
    if (file.bases.length === 0 && file.errors.length === 0) out.push(style.dim('  no external images (scratch or stages only)'));
    for (const error of file.errors) out.push(...continuation(`${style.red('error')} ${error.line !== null ? `line ${error.line}: ` : ''}${error.message}`, options.width, 2, 4));
  }
  const rest = files.length - listed.length;
  if (rest > 0) out.push(style.dim(`  ${rest} more, nothing to do (--all lists them)`));
  return out;
}

export function renderCheck(report: CheckReport, style: Style, given: RenderOptions): string {
  const options: RenderOptions = { ...given, roots: report.roots };
  const width = options.width;
  const out: string[] = [];
  if (report.engine !== null) {
    const e = report.engine;
    out.push(...continuation(`${style.bold('Engine')}  ${e.host} (${e.source}), Docker ${e.serverVersion}, API ${e.apiVersion}`, width, 0, 2));
  } else {
    out.push(`${style.bold('Engine')}  ${style.red('not reachable')} (see errors below)`);
  }
  out.push(...continuation(`${style.bold('Roots')}   ${report.roots.map((root) => displayPath(root, options.cwd)).join(', ')}`, width, 0, 3));
  if (report.offline) out.push(...continuation(style.dim('Offline: registries were not asked; statuses say what is known locally.'), width, 0, 2));

  out.push(...renderImages(report, options, style));
  out.push(...renderDockerfiles(report.dockerfiles, options, style));

  if (report.compose.length > 0 && options.all) {
    out.push('', style.bold(`Compose files (${report.compose.length})`));
    for (const file of report.compose) {
      out.push(truncateEnd(`${displayPath(file.path, options.cwd, options.roots)}  ${style.dim(`project ${file.project}`)}`, width));
      for (const service of file.services) {
        const image = service.image === null ? '-' : shortRef(service.image);
        const build = service.dockerfile !== null ? ` built from ${displayPath(service.dockerfile, options.cwd, options.roots)}` : '';
        const target = service.target !== null ? ` (target ${service.target})` : '';
        out.push(...continuation(`${service.name}: ${image}${build}${target}`, width, 2, 2));
      }
    }
  } else if (report.compose.length > 0) {
    const services = report.compose.reduce((sum, file) => sum + file.services.length, 0);
    out.push('', style.dim(`Compose files: ${report.compose.length}, ${services} service${services === 1 ? '' : 's'} (--all lists them)`));
  }

  if (report.registries.length > 0) {
    out.push('', style.bold('Registry pull budgets'));
    for (const seen of report.registries) {
      const window = seen.windowSeconds === null ? '' : ` per ${Math.round(seen.windowSeconds / 3600)} h`;
      out.push(...continuation(`${seen.registry}: ${seen.remaining} of ${seen.limit} pulls left${window}, seen ${describeWhen(seen.seenAt, options.now, options.timeZone)}`, width, 2, 2));
    }
  }

  if (report.errors.length > 0) {
    out.push('', style.bold(style.red(`Errors (${report.errors.length})`)));
    // Errors are read whole: wrapped, never cut, and a path in one is not broken either.
    for (const error of report.errors) {
      const [first = '', ...more] = error.message.split('\n');
      out.push(...continuation(`${displayPath(error.where, options.cwd, options.roots)}: ${first}`, width, 2, 100, true));
      for (const line of more) out.push(...continuation(line, width, 4, 100, true));
    }
  }
  return `${out.join('\n')}\n`;
}
