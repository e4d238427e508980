/**
 * `basewatch check`: inventory -> link -> report. The daemon and the CLI both call this; it
 * prints nothing and never exits: failures of parts (a file, the engine) land in the report.
 */
import path from 'node:path';
import { type ConnectOptions, EngineUnreachableError, connectEngine } from '../engine/connect.js';
import type { EngineClient, ImageDetails } from '../engine/docker-engine.js';
import { findProjectFiles } from '../inventory/find-project-files.js';
import { readLocalImages } from '../inventory/read-images.js';
import { type DockerfileReading, readProjects } from '../inventory/read-projects.js';
import { type ImageLink, imagePlatform, linkImages } from '../link/link-images.js';
import { formatImageRef, parseImageRef, repositoryName } from '../refs/image-ref.js';
import type {
  CheckReport,
  DockerfileBaseReport,
  DockerfileReport,
  EngineReport,
  ImageReport,
  ReportError,
} from '../report/check-report.js';

export interface CheckOptions {
  /** Folders (or single files) to scan; relative paths resolve against `cwd`. */
  readonly roots: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly offline: boolean;
  readonly connect?: ConnectOptions;
  /** Called as work progresses, for a terminal's progress line. */
  readonly onProgress?: (message: string) => void;
}

const OFFLINE_REASON = 'not checked upstream (offline)';

function imageReport(link: ImageLink, offline: boolean): ImageReport {
  const { image, base } = link;
  const status = base !== null ? 'unknown' : link.broken ? 'error' : 'unlinked';
  const reason = base !== null ? [offline ? OFFLINE_REASON : null, link.problem].filter(Boolean).join('; ') : (link.problem ?? '');
  return {
    name: image.repoTags[0] ?? image.id,
    tags: image.repoTags,
    id: image.id,
    platform: imagePlatform(image),
    base,
    source: link.source,
    status,
    reason,
  };
}

/** What a plain `docker build` would use for a reference: the local image by that tag or pinned digest. */
function localCopy(images: readonly ImageDetails[], ref: string | null): { digest: string | null; present: boolean } {
  const parsed = ref === null ? null : parseImageRef(ref);
  if (parsed?.ok !== true) return { digest: null, present: false };
  const repository = repositoryName(parsed.ref);
  const digestIn = (image: ImageDetails): string | null => {
    for (const entry of image.repoDigests) {
      const candidate = parseImageRef(entry);
      if (candidate.ok && repositoryName(candidate.ref) === repository) return candidate.ref.digest;
    }
    return null;
  };
  if (parsed.ref.digest !== null) {
    const pinned = images.some((image) => image.repoDigests.some((entry) => {
      const candidate = parseImageRef(entry);
      return candidate.ok && repositoryName(candidate.ref) === repository && candidate.ref.digest === parsed.ref.digest;
    }));
    return { digest: pinned ? parsed.ref.digest : null, present: pinned };
  }
  const tagged = formatImageRef(parsed.ref);
  const image = images.find((candidate) =>
    candidate.repoTags.some((tag) => {
      const normalised = parseImageRef(tag);
      return normalised.ok && formatImageRef(normalised.ref) === tagged;
    }),
  );
  return image === undefined ? { digest: null, present: false } : { digest: digestIn(image), present: true };
}

function dockerfileReport(reading: DockerfileReading, images: readonly ImageDetails[] | null, offline: boolean): DockerfileReport {
  const bases: DockerfileBaseReport[] = reading.uses.flatMap((use) => {
    if (use.ref === null) return [];
    const local = images === null ? { digest: null, present: false } : localCopy(images, use.ref);
    const where =
      images === null ? 'local images unknown (no engine)' : local.present ? null : 'not present in the local engine';
    return [
      {
        ref: use.ref,
        kind: use.kind,
        line: use.line,
        stage: use.stage,
        final: use.final,
        pinned: use.pinned,
        platform: use.platform,
        local: local.digest,
        latest: null,
        status: 'unknown' as const,
        reason: [where, offline ? OFFLINE_REASON : null].filter(Boolean).join('; '),
      },
    ];
  });
  return { path: reading.path, bases, errors: reading.errors, usedBy: reading.usedBy };
}

async function openEngine(
  options: CheckOptions,
  errors: ReportError[],
): Promise<{ engine: EngineClient; report: EngineReport } | null> {
  try {
    const engine = await connectEngine(options.connect);
    const info = await engine.info();
    return {
      engine,
      report: {
        host: engine.endpoint.host,
        source: engine.endpoint.source,
        apiVersion: info.apiVersion,
        serverVersion: info.serverVersion,
      },
    };
  } catch (error) {
    if (!(error instanceof EngineUnreachableError) && !(error instanceof Error)) throw error;
    errors.push({ where: 'engine', message: error.message });
    return null;
  }
}

export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const progress = options.onProgress ?? (() => {});
  const roots = (options.roots.length > 0 ? options.roots : ['.']).map((root) => path.resolve(options.cwd, root));
  const errors: ReportError[] = [];

  progress('scanning project folders');
  const files = await findProjectFiles(roots);
  errors.push(...files.errors);
  const projects = await readProjects(files.dockerfiles, files.composeFiles, options.env);
  errors.push(...projects.errors);

  progress('reading local images');
  const opened = await openEngine(options, errors);
  let images: readonly ImageDetails[] | null = null;
  let imageReports: ImageReport[] = [];
  if (opened !== null) {
    try {
      const local = await readLocalImages(opened.engine);
      images = local.images;
      const links = linkImages({ images: local.images, hints: projects.hints, histories: local.histories });
      imageReports = links.map((link) => imageReport(link, options.offline)).sort((a, b) => a.name.localeCompare(b.name));
    } catch (error) {
      errors.push({ where: 'engine', message: error instanceof Error ? error.message : String(error) });
    }
  }

  return {
    engine: opened?.report ?? null,
    offline: options.offline,
    roots,
    images: imageReports,
    dockerfiles: projects.dockerfiles.map((reading) => dockerfileReport(reading, images, options.offline)),
    compose: projects.compose,
    errors,
  };
}
