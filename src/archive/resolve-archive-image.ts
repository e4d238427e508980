/**
 * Which image of an archive we read, and where its config and layers are: from manifest.json
 * (legacy layout, and Engine 25+ writes it too) or else from index.json (OCI layout). Pure:
 * works on the small JSON documents the reader kept.
 */
import { posix } from 'node:path';
import type { z } from 'zod';
import { ArchiveError } from './archive-error.js';
import { configDigestsNamedBy } from './oci-identities.js';
import { type Descriptor, DockerSaveManifestSchema, OciIndexSchema, OciManifestSchema } from './archive-schemas.js';
import { normaliseTarPath } from './tar-io.js';

/** One image of an archive, paths as inside the tar (normalised). */
export interface ArchiveManifest {
  /** Path of the config JSON. */
  readonly config: string;
  readonly repoTags: string[];
  /** Paths of the layer blobs, bottom layer first. */
  readonly layers: string[];
}

export interface ArchiveDocuments {
  /** The JSON documents kept while reading, by normalised path. */
  readonly json: ReadonlyMap<string, Buffer>;
  /** Symlink entries (legacy saves link a layer.tar already written for another id): path → target path. */
  readonly links: ReadonlyMap<string, string>;
}

/**
 * Picks the image: `image` (a RepoTag, or an image ID "sha256:<hex>" or its hex: the config's
 * digest, or on the containerd store the manifest's or index's) when given, else the only one.
 * Throws an ArchiveError naming what is missing or ambiguous.
 */
export function resolveArchiveImage(docs: ArchiveDocuments, image?: string): ArchiveManifest {
  if (image !== undefined && /^(?:sha256:)?[0-9a-f]{64}$/.test(image)) {
    const id = image.startsWith('sha256:') ? image : `sha256:${image}`;
    const configs = configDigestsNamedBy(docs, id);
    if (configs.length > 1) throw new ArchiveError('ambiguous-image', `${JSON.stringify(image)} names ${configs.length} images in the archive`);
    return resolveByName(docs, configs[0] ?? id);
  }
  return resolveByName(docs, image);
}

function resolveByName(docs: ArchiveDocuments, image: string | undefined): ArchiveManifest {
  const manifestJson = docs.json.get('manifest.json');
  if (manifestJson !== undefined) return fromDockerManifest(manifestJson, image);
  const indexJson = docs.json.get('index.json');
  if (indexJson !== undefined) return fromOciIndex(docs, indexJson, image);
  throw new ArchiveError('no-manifest', 'the archive has neither manifest.json nor index.json');
}

/** Follows symlink entries to the entry that holds the bytes. */
export function resolveLink(path: string, links: ReadonlyMap<string, string>): string {
  let current = path;
  for (let hops = 0; hops < 16; hops += 1) {
    const target = links.get(current);
    if (target === undefined) return current;
    current = target;
  }
  throw new ArchiveError('bad-manifest', `${path} is a symlink loop in the archive`);
}

/** The tar path a symlink entry points at, resolved against its folder. */
export function linkTarget(path: string, linkname: string): string {
  const joined = linkname.startsWith('/') ? linkname : posix.join(posix.dirname(path), linkname);
  return normaliseTarPath(posix.normalize(joined));
}

/** The image ID a config path implies ("<hex>.json", "blobs/sha256/<hex>"), or null. */
export function digestFromPath(path: string): string | null {
  const match = /(?:^|\/)(?:blobs\/(sha256)\/)?([0-9a-f]{64})(?:\.json)?$/.exec(path);
  return match?.[2] === undefined ? null : `sha256:${match[2]}`;
}

function parseJson<T>(bytes: Buffer, schema: z.ZodType<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ArchiveError('bad-manifest', `${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new ArchiveError('bad-manifest', `${what} is not what we expect${at}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

function matches(image: string, repoTags: readonly string[], configDigest: string | null): boolean {
  if (repoTags.includes(image)) return true;
  const id = image.startsWith('sha256:') ? image : `sha256:${image}`;
  return configDigest !== null && configDigest === id;
}

function pick<T>(candidates: readonly T[], image: string | undefined, describe: (c: T) => string[], test: (c: T) => boolean): T {
  if (image !== undefined) {
    const found = candidates.filter(test);
    if (found.length === 1 && found[0] !== undefined) return found[0];
    if (found.length === 0) {
      throw new ArchiveError('image-not-found', `the archive has no image ${JSON.stringify(image)} (it has: ${candidates.flatMap(describe).join(', ') || 'untagged images'})`);
    }
    throw new ArchiveError('ambiguous-image', `${JSON.stringify(image)} matches ${found.length} images in the archive`);
  }
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
  if (candidates.length === 0) throw new ArchiveError('no-manifest', 'the archive manifest lists no image');
  throw new ArchiveError(
    'ambiguous-image',
    `the archive holds ${candidates.length} images (${candidates.flatMap(describe).join(', ')}); say which one to read`,
  );
}

function fromDockerManifest(bytes: Buffer, image: string | undefined): ArchiveManifest {
  const manifest = parseJson(bytes, DockerSaveManifestSchema, 'manifest.json');
  const chosen = pick(
    manifest,
    image,
    (m) => (m.RepoTags && m.RepoTags.length > 0 ? m.RepoTags : [digestFromPath(m.Config) ?? m.Config]),
    (m) => matches(image ?? '', m.RepoTags ?? [], digestFromPath(normaliseTarPath(m.Config))),
  );
  return {
    config: normaliseTarPath(chosen.Config),
    repoTags: [...(chosen.RepoTags ?? [])],
    layers: chosen.Layers.map(normaliseTarPath),
  };
}

interface OciCandidate {
  name: string | null;
  config: Descriptor;
  layers: Descriptor[];
}

export function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(':', 2);
  return `blobs/${algorithm}/${hex}`;
}

const NAME_ANNOTATIONS = ['io.containerd.image.name', 'org.opencontainers.image.ref.name'] as const;

function fromOciIndex(docs: ArchiveDocuments, bytes: Buffer, image: string | undefined): ArchiveManifest {
  const index = parseJson(bytes, OciIndexSchema, 'index.json');
  const candidates: OciCandidate[] = [];
  // Descriptors whose blob is absent (other platforms of a multi-platform index) are skipped.
  const visit = (descriptors: readonly Descriptor[], inheritedName: string | null, depth: number): void => {
    for (const descriptor of descriptors) {
      const path = blobPath(descriptor.digest);
      const blob = docs.json.get(resolveLink(path, docs.links));
      if (blob === undefined) continue;
      const name = NAME_ANNOTATIONS.map((key) => descriptor.annotations?.[key]).find((v) => v !== undefined) ?? inheritedName;
      const document = parseJson(blob, OciIndexSchema.or(OciManifestSchema), path);
      if ('manifests' in document) {
        if (depth < 4) visit(document.manifests, name, depth + 1);
      } else if (docs.json.has(resolveLink(blobPath(document.config.digest), docs.links))) {
        candidates.push({ name, config: document.config, layers: document.layers });
      }
    }
  };
  visit(index.manifests, null, 0);
  const chosen = pick(
    candidates,
    image,
    (c) => [c.name ?? c.config.digest],
    (c) => matches(image ?? '', c.name === null ? [] : [c.name], c.config.digest),
  );
  // ref.name alone may be just a tag ("1"); only a full name is a RepoTag.
  return {
    config: blobPath(chosen.config.digest),
    repoTags: chosen.name !== null && /[:@]/.test(chosen.name) ? [chosen.name] : [],
    layers: chosen.layers.map((layer) => blobPath(layer.digest)),
  };
}
