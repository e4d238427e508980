/**
 * The one scope rule: what the `ignore` setting names is left out of the check, so nothing
 * downstream (the report, `status`, the plan, the daemon's notifications, exit codes) ever sees
 * it. The check calls this once; no command filters on its own.
 *
 * Pure: links and Dockerfile readings in, the kept ones and what was left out (counted in the
 * report's `ignored`) out.
 */
import type { DockerfileReading } from '../inventory/read-projects.js';
import type { ImageLink } from '../link/link-images.js';
import { matchesImageGlob } from '../refs/image-glob.js';
import type { IgnoredReport } from '../report/check-report.js';

/** The first `ignore` glob that matches any of these names, or null. */
export function ignoredBy(ignore: readonly string[], names: readonly string[]): string | null {
  return ignore.find((glob) => matchesImageGlob(glob, names)) ?? null;
}

export interface ScopedImages {
  readonly kept: ImageLink[];
  readonly ignored: IgnoredReport[];
}

/** The links `ignore` does not name, and one entry for each it does. */
export function scopeImages(links: readonly ImageLink[], ignore: readonly string[]): ScopedImages {
  const kept: ImageLink[] = [];
  const ignored: IgnoredReport[] = [];
  for (const link of links) {
    const glob = ignoredBy(ignore, link.image.repoTags);
    if (glob === null) kept.push(link);
    else ignored.push({ kind: 'image', name: link.image.repoTags[0] ?? link.image.id, glob });
  }
  return { kept, ignored };
}

export interface ScopedDockerfiles {
  readonly kept: DockerfileReading[];
  readonly ignored: IgnoredReport[];
}

/**
 * Dockerfiles that build only ignored images are left out whole; in the others, the uses of an
 * ignored base image are left out (never asked about upstream).
 */
export function scopeDockerfiles(
  readings: readonly DockerfileReading[],
  ignore: readonly string[],
  ignoredLinks: readonly ImageLink[],
  keptLinks: readonly ImageLink[],
): ScopedDockerfiles {
  if (ignore.length === 0) return { kept: [...readings], ignored: [] };
  const keptFiles = new Set(keptLinks.flatMap((link) => link.source?.dockerfile ?? []));
  const ignoredFiles = new Map<string, string>();
  for (const link of ignoredLinks) {
    const file = link.source?.dockerfile;
    if (file == null || keptFiles.has(file)) continue;
    ignoredFiles.set(file, ignoredBy(ignore, link.image.repoTags) ?? '');
  }
  const kept: DockerfileReading[] = [];
  const ignored: IgnoredReport[] = [];
  const seenBases = new Set<string>();
  for (const reading of readings) {
    const glob = ignoredFiles.get(reading.path);
    if (glob !== undefined) {
      ignored.push({ kind: 'dockerfile', name: reading.path, glob });
      continue;
    }
    const uses = reading.uses.filter((use) => {
      const baseGlob = use.ref === null ? null : ignoredBy(ignore, [use.ref]);
      if (baseGlob === null || use.ref === null) return true;
      if (!seenBases.has(use.ref)) {
        seenBases.add(use.ref);
        ignored.push({ kind: 'base', name: use.ref, glob: baseGlob });
      }
      return false;
    });
    kept.push(uses.length === reading.uses.length ? reading : { ...reading, uses });
  }
  return { kept, ignored };
}
