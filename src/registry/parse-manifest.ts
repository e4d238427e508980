/**
 * Manifest bytes to a typed manifest (pure). The digest of a manifest is the sha256 of the
 * exact bytes the registry sent, so parsing never re-serialises.
 */
import { createHash } from 'node:crypto';
import {
  ImageManifest,
  MEDIA_TYPE_DOCKER_LIST,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  ManifestEnvelope,
  ManifestIndex,
} from './manifest-schemas.js';

export type ParsedManifest =
  | { readonly ok: true; readonly kind: 'index'; readonly mediaType: string; readonly manifest: ManifestIndex }
  | { readonly ok: true; readonly kind: 'image'; readonly mediaType: string; readonly manifest: ImageManifest }
  | { readonly ok: false; readonly problem: string };

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function bareMediaType(contentType: string | null | undefined): string | null {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === undefined || type === '' ? null : type;
}

const INDEX_TYPES = new Set([MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_LIST]);
const IMAGE_TYPES = new Set([MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST]);

function firstIssue(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'unknown problem';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

export function parseManifest(bytes: Uint8Array, contentType: string | null): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return { ok: false, problem: 'the manifest is not valid JSON' };
  }
  const envelope = ManifestEnvelope.safeParse(json);
  if (!envelope.success) return { ok: false, problem: 'the answer is not a manifest (no schemaVersion)' };
  const headerType = bareMediaType(contentType);
  if (envelope.data.schemaVersion === 1 || headerType?.includes('distribution.manifest.v1') === true) {
    return { ok: false, problem: 'registry answered with a schema1 manifest, which basewatch does not support' };
  }
  // The body's mediaType is authoritative; the Content-Type header is the fallback (OCI
  // manifests may omit the field), and the shape decides when both are silent.
  const declared = envelope.data.mediaType ?? (headerType !== null && (INDEX_TYPES.has(headerType) || IMAGE_TYPES.has(headerType)) ? headerType : null);
  const looksLikeIndex = typeof json === 'object' && json !== null && 'manifests' in json;
  const isIndex = declared !== null ? INDEX_TYPES.has(declared) : looksLikeIndex;
  if (declared !== null && !INDEX_TYPES.has(declared) && !IMAGE_TYPES.has(declared)) {
    return { ok: false, problem: `unsupported manifest media type ${declared}` };
  }
  if (isIndex) {
    const parsed = ManifestIndex.safeParse(json);
    if (!parsed.success) return { ok: false, problem: `the image index does not match the OCI schema (${firstIssue(parsed.error)})` };
    return { ok: true, kind: 'index', mediaType: declared ?? MEDIA_TYPE_OCI_INDEX, manifest: parsed.data };
  }
  const parsed = ImageManifest.safeParse(json);
  if (!parsed.success) return { ok: false, problem: `the image manifest does not match the OCI schema (${firstIssue(parsed.error)})` };
  return { ok: true, kind: 'image', mediaType: declared ?? MEDIA_TYPE_OCI_MANIFEST, manifest: parsed.data };
}
