/** Human output of `basewatch check`. */
import { parseImageRef, familiarImageRef } from '../refs/image-ref.js';
import type { BaseNotes, CheckReport, DockerfileBaseReport, ImageReport, ImageStatus } from '../report/check-report.js';
import { type Style, formatTable } from './style.js';

/** `docker.io/library/python:3.12` -> `python:3.12`, the way people write it. */
export function shortRef(ref: string): string {
  const parsed = parseImageRef(ref);
  return parsed.ok ? familiarImageRef(parsed.ref) : ref;
}

export function shortDigest(digest: string | null): string {
  if (digest === null) return '-';
  const [algorithm, hex] = digest.split(':');
  return hex === undefined ? digest : `${algorithm}:${hex.slice(0, 12)}`;
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

function imageRows(images: readonly ImageReport[], style: Style): string[] {
  const rows = images.map((image) => [
    image.name,
    image.base === null ? '-' : shortRef(image.base.ref),
    image.base?.via ?? '-',
    shortDigest(image.base?.digest ?? null),
    image.base?.latest === image.base?.digest && image.base?.latest != null ? 'same' : shortDigest(image.base?.latest ?? null),
    colorStatus(image.status, style),
    image.source?.service ? `${image.source.service} (${image.source.compose})` : (image.source?.dockerfile ?? ''),
  ]);
  return formatTable(['IMAGE', 'BASE', 'VIA', 'BUILT ON', 'LATEST', 'STATUS', 'BUILT FROM'], rows, style);
}

function baseLine(base: DockerfileBaseReport, style: Style): string {
  const instruction = base.kind === 'from' ? 'FROM' : base.kind === 'copy-from' ? 'COPY --from' : 'RUN --mount from';
  const notes = [
    base.final ? style.cyan('final') : null,
    base.stage !== null ? `stage ${base.stage}` : null,
    base.platform !== null ? `platform ${base.platform}` : null,
    base.pinned !== null ? `pinned ${shortDigest(base.pinned)}` : null,
    base.local !== null ? `local ${shortDigest(base.local)}` : null,
    base.latest !== null ? `latest ${shortDigest(base.latest)}` : null,
    ...describeNotes(base, style),
    base.reason !== '' ? style.dim(base.reason) : null,
  ].filter((note): note is string => note !== null);
  const status = base.checkedAt !== null ? `${colorStatus(base.status, style)} ` : '';
  return `  line ${String(base.line).padEnd(4)} ${status}${instruction} ${shortRef(base.ref)}  ${notes.join(', ')}`;
}

export function renderCheck(report: CheckReport, style: Style): string {
  const out: string[] = [];
  if (report.engine !== null) {
    const e = report.engine;
    out.push(`${style.bold('Engine')}  ${e.host} (${e.source}), Docker ${e.serverVersion}, API ${e.apiVersion}`);
  } else {
    out.push(`${style.bold('Engine')}  ${style.red('not reachable')} (see errors below)`);
  }
  out.push(`${style.bold('Roots')}   ${report.roots.join(', ')}`);
  if (report.offline) out.push(style.dim('Offline: registries were not asked; statuses say what is known locally.'));

  out.push('', style.bold(`Images (${report.images.length})`));
  if (report.images.length === 0) out.push(style.dim(report.engine === null ? '  (no engine)' : '  no tagged images'));
  else {
    out.push(...imageRows(report.images, style).map((line) => `  ${line}`));
    const notes = report.images
      .map((image) => ({
        image,
        lines: [
          ...(image.base ? describeNotes(image.base, style) : []),
          ...(image.reason ? [style.dim(image.reason)] : []),
          ...(image.suggestedLink ? [style.cyan(`built from ${image.suggestedLink.shown}? ${image.suggestedLink.command}`)] : []),
        ],
      }))
      .filter((entry) => entry.lines.length > 0);
    if (notes.length > 0) {
      out.push('');
      for (const { image, lines } of notes) out.push(`  ${image.name}: ${lines.join('; ')}`);
    }
  }

  out.push('', style.bold(`Dockerfiles (${report.dockerfiles.length})`));
  if (report.dockerfiles.length === 0) out.push(style.dim('  none found under the roots'));
  for (const file of report.dockerfiles) {
    const usedBy = file.usedBy.length > 0 ? style.dim(`  built by ${file.usedBy.join(', ')}`) : '';
    out.push(`${file.path}${usedBy}`);
    for (const base of file.bases) out.push(baseLine(base, style));
    if (file.bases.length === 0 && file.errors.length === 0) out.push(style.dim('  no external images (scratch or stages only)'));
    for (const error of file.errors) {
      out.push(`  ${style.red('error')} ${error.line !== null ? `line ${error.line}: ` : ''}${error.message}`);
    }
  }

  if (report.compose.length > 0) {
    out.push('', style.bold(`Compose files (${report.compose.length})`));
    for (const file of report.compose) {
      out.push(`${file.path}  ${style.dim(`project ${file.project}`)}`);
      for (const service of file.services) {
        const image = service.image === null ? '-' : shortRef(service.image);
        const build = service.dockerfile !== null ? ` built from ${service.dockerfile}` : '';
        const target = service.target !== null ? ` (target ${service.target})` : '';
        out.push(`  ${service.name}: ${image}${build}${target}`);
      }
    }
  }

  if (report.registries.length > 0) {
    out.push('', style.bold('Registry pull budgets'));
    for (const seen of report.registries) {
      const window = seen.windowSeconds === null ? '' : ` per ${Math.round(seen.windowSeconds / 3600)} h`;
      out.push(`  ${seen.registry}: ${seen.remaining} of ${seen.limit} pulls left${window} (seen ${seen.seenAt})`);
    }
  }

  if (report.errors.length > 0) {
    out.push('', style.bold(style.red(`Errors (${report.errors.length})`)));
    for (const error of report.errors) out.push(`  ${error.where}: ${error.message.replace(/\n/g, '\n    ')}`);
  }
  return `${out.join('\n')}\n`;
}
