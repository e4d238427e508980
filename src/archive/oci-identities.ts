/**
 * Which digests name an image of an archive. The classic store and Podman give an image the
 * digest of its config as ID; the containerd image store gives it the digest of its manifest,
 * or of the index above it (modern-engine.md), and its save holds those documents as blobs.
 * Pure: works on the small JSON documents the reader kept.
 */
import { OciIndexSchema, OciManifestSchema } from './archive-schemas.js';
import type { ArchiveDocuments } from './resolve-archive-image.js';

interface OciGraph {
  /** manifest digest → its config's digest */
  readonly configOf: ReadonlyMap<string, string>;
  /** index digest → the digests of the manifests (or indexes) it lists, attestations left out */
  readonly childrenOf: ReadonlyMap<string, readonly string[]>;
}

const BLOB = /^blobs\/(sha256)\/([0-9a-f]{64})$/;

function graphOf(docs: ArchiveDocuments): OciGraph {
  const configOf = new Map<string, string>();
  const childrenOf = new Map<string, string[]>();
  for (const [path, bytes] of docs.json) {
    const match = BLOB.exec(path);
    if (match === null) continue;
    const digest = `${match[1]}:${match[2]}`;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      continue;
    }
    const manifest = OciManifestSchema.safeParse(value);
    if (manifest.success) {
      configOf.set(digest, manifest.data.config.digest);
      continue;
    }
    const index = OciIndexSchema.safeParse(value);
    if (index.success) {
      // BuildKit's attestation manifests (platform unknown/unknown) are not the image.
      const children = index.data.manifests.filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest');
      childrenOf.set(digest, children.map((m) => m.digest));
    }
  }
  return { configOf, childrenOf };
}

/**
 * The config digests an image ID names in the archive: itself when it is no manifest or index
 * the archive holds, else the configs below that manifest or index.
 */
export function configDigestsNamedBy(docs: ArchiveDocuments, id: string): string[] {
  const graph = graphOf(docs);
  const found = new Set<string>();
  const visit = (digest: string, depth: number): void => {
    const config = graph.configOf.get(digest);
    if (config !== undefined) {
      found.add(config);
      return;
    }
    const children = graph.childrenOf.get(digest);
    if (children === undefined || depth > 4) return;
    // A child whose blob is absent (another platform, not local) is not in the archive.
    for (const child of children) if (graph.configOf.has(child) || graph.childrenOf.has(child)) visit(child, depth + 1);
  };
  visit(id, 0);
  return found.size === 0 ? [id] : [...found];
}

/**
 * Every digest an engine may give the image whose config is `configDigest`: the config's, the
 * manifests' that name it, and the indexes' above those.
 */
export function imageIdsOf(docs: ArchiveDocuments, configDigest: string): string[] {
  const graph = graphOf(docs);
  const ids = new Set<string>([configDigest]);
  for (const [manifest, config] of graph.configOf) if (config === configDigest) ids.add(manifest);
  // Indexes nest (rarely deeper than one level): repeat until nothing is added.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [index, children] of graph.childrenOf) {
      if (!ids.has(index) && children.some((child) => ids.has(child))) {
        ids.add(index);
        grew = true;
      }
    }
  }
  return [...ids];
}
