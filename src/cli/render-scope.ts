/** The line (or, with --all, the list) for what the `ignore` setting left out of a report. */
import type { CheckReport } from '../report/check-report.js';
import type { Style } from './style.js';

export function renderIgnored(report: CheckReport, all: boolean, style: Style, command = 'basewatch check'): string {
  const ignored = report.ignored ?? [];
  if (ignored.length === 0) return '';
  const images = ignored.filter((entry) => entry.kind === 'image').length;
  const other = ignored.length - images;
  const counted = [
    ...(images > 0 ? [`${images} image${images === 1 ? '' : 's'}`] : []),
    ...(other > 0 ? [`${other} Dockerfile${other === 1 ? '' : 's'} or base${other === 1 ? '' : 's'}`] : []),
  ].join(' and ');
  if (!all) return `${style.dim(`${ignored.length} ignored (${counted}, by the ignore setting; \`${command} --all\` lists them)`)}\n`;
  const lines = [style.bold(`Ignored (${counted}): not checked, not acted on, not notified`)];
  for (const entry of ignored) lines.push(`  ${entry.kind.padEnd(10)} ${entry.name}  ${style.dim(`(ignore: ${entry.glob})`)}`);
  return `${lines.join('\n')}\n`;
}
