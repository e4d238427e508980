/**
 * Reads one Compose file into what basewatch needs to link images to their bases and to
 * rebuild them (design.md, "Linking" step 4): per service, the image it produces or uses
 * and its build context, Dockerfile, args and target. Pure: the caller reads the file and
 * passes the environment (process env merged over `.env`, see {@link parseDotEnv}).
 *
 * Follows the Compose spec / compose-go for: `build:` as string or mapping, interpolation,
 * YAML anchors, aliases and `<<` merge keys, `x-` extensions, project naming and the v2
 * default image name `<project>-<service>`.
 *
 * Left out, on purpose (callers see the service as written):
 * - `extends`, `include`, multiple `-f` files and override files (`compose.override.yaml`);
 * - `profiles` (every service is returned whatever its profile);
 * - `build.additional_contexts`, `secrets`, `ssh`, `platforms`, `tags`, `cache_from`, …;
 * - interpolation outside top-level `name` and `services` (Compose also interpolates
 *   networks, volumes, … and would fail on a `${X:?}` there; we never read those);
 * - the "variable is not set, defaulting to a blank string" warning;
 * - for a remote (URL/git) context the Dockerfile path is kept relative, as Compose
 *   resolves it inside the fetched context.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Document } from 'yaml';

type Yaml = typeof import('yaml');
let yamlModule: Yaml | null = null;
/** yaml (some 80 modules) loads with the first compose file read, not with every check. */
function yaml(): Yaml {
  yamlModule ??= createRequire(import.meta.url)('yaml') as Yaml;
  return yamlModule;
}
import { normalizeImageRef } from '../../refs/image-ref.js';
import {
  ComposeBuildSpecSchema,
  ComposeFileSchema,
  ComposeServiceSpecSchema,
  describeIssue,
  type ComposeBuildSpec,
} from './compose-schema.js';
import { interpolate, lookupIn, type VariableLookup } from './interpolate.js';
import { resolveProjectName } from './project-name.js';

export { parseDotEnv } from './dot-env.js';

export interface ComposeBuild {
  /** Absolute path, or the URL/git reference as written when {@link remote}. */
  context: string;
  remote: boolean;
  /** Absolute path (relative to the context when remote); null when `dockerfile_inline` is used. */
  dockerfile: string | null;
  dockerfileInline: string | null;
  args: Record<string, string>;
  target: string | null;
}

export interface ComposeService {
  name: string;
  /** Interpolated `image:` as written, or null. */
  image: string | null;
  /** Normalised image the service produces or uses; null when it is not a valid reference. */
  imageRef: string | null;
  build: ComposeBuild | null;
  /** 1-based line of the service key. */
  line: number;
}

export interface ComposeError {
  line: number | null;
  message: string;
}

export interface ComposeAnalysis {
  project: string;
  services: ComposeService[];
  errors: ComposeError[];
}

type Env = Readonly<Record<string, string | undefined>>;
type Path = readonly (string | number)[];

export function analyzeCompose(content: string, filePath: string, env: Env): ComposeAnalysis {
  const { LineCounter, isMap, isScalar, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  // merge: true because YAML 1.2 dropped `<<`, but Compose (yaml.v3) keeps it.
  const doc = parseDocument(content, { lineCounter, merge: true, prettyErrors: false });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const errors: ComposeError[] = [];
  // Paths whose interpolation failed: their value is unusable, and a second error saying
  // so (e.g. "not a valid image reference") would only repeat the first.
  const failedPaths = new Set<string>();

  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const project = resolveProjectName(undefined, filePath, env['COMPOSE_PROJECT_NAME']).project;
    // Errors found at end of input (an unclosed quote) point past the last line; report that line.
    const offset = Math.min(syntaxError.pos[0], Math.max(0, content.trimEnd().length - 1));
    return { project, services: [], errors: [{ line: lineAt(offset), message: syntaxError.message }] };
  }

  const interpolateAt = (node: unknown, at: Path, lookup: VariableLookup): void =>
    interpolateNode(doc, node, at, lookup, lineAt, errors, failedPaths, new Set());

  // `name` first: Compose exposes the resulting project name to the rest of the file
  // as COMPOSE_PROJECT_NAME.
  const root = doc.contents;
  interpolateAt(isMap(root) ? root.get('name', true) : undefined, ['name'], lookupIn(env));
  const nameNode = resolveAlias(doc, isMap(root) ? root.get('name', true) : undefined);
  const nameField = isScalar(nameNode) && typeof nameNode.value === 'string' ? nameNode.value : undefined;
  const named = resolveProjectName(nameField, filePath, env['COMPOSE_PROJECT_NAME']);
  if (named.error !== null) errors.push({ line: null, message: named.error });
  const project = named.project;
  const serviceEnv: Env = { ...env, COMPOSE_PROJECT_NAME: env['COMPOSE_PROJECT_NAME'] || project };
  interpolateAt(isMap(root) ? root.get('services', true) : undefined, ['services'], lookupIn(serviceEnv));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // The yaml package throws on alias bombs ("Excessive alias count").
    errors.push({ line: null, message: error instanceof Error ? error.message : String(error) });
    return { project, services: [], errors };
  }
  if (data === null || data === undefined) return { project, services: [], errors };

  const file = ComposeFileSchema.safeParse(data);
  if (!file.success) {
    for (const issue of file.error.issues) {
      errors.push({ line: lineOf(doc, issue.path.map(String), lineAt), message: describeIssue([], issue) });
    }
    return { project, services: [], errors };
  }

  const services: ComposeService[] = [];
  const baseDir = path.dirname(path.resolve(filePath));
  for (const [name, spec] of Object.entries(file.data.services ?? {})) {
    const service = analyzeService(name, spec, { project, baseDir, env: serviceEnv });
    const line = lineOf(doc, ['services', name], lineAt);
    for (const issue of service.errors) {
      if (issue.path !== null && failedPaths.has(issue.path.join('.'))) continue;
      errors.push({ line: issue.path === null ? line : (lineOf(doc, issue.path, lineAt) ?? line), message: issue.message });
    }
    if (service.service !== null) services.push({ ...service.service, line: line ?? 0 });
  }
  return { project, services, errors };
}

interface ServiceContext {
  project: string;
  baseDir: string;
  env: Env;
}
interface ServiceIssue {
  path: Path | null;
  message: string;
}

function analyzeService(
  name: string,
  spec: unknown,
  ctx: ServiceContext,
): { service: Omit<ComposeService, 'line'> | null; errors: ServiceIssue[] } {
  const at = ['services', name];
  const label = `service ${JSON.stringify(name)}`;
  const parsed = ComposeServiceSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => ({
      path: [...at, ...issue.path.map(String)],
      message: issue.path.length === 0 ? `${label} must be a mapping` : `${label}: ${describeIssue([], issue)}`,
    }));
    return { service: null, errors };
  }

  let buildSpec: ComposeBuildSpec | undefined;
  const rawBuild = parsed.data.build;
  if (typeof rawBuild === 'string') {
    buildSpec = { context: rawBuild };
  } else if (rawBuild !== undefined) {
    const build = ComposeBuildSpecSchema.safeParse(rawBuild);
    if (!build.success) {
      const errors = build.error.issues.map((issue) => ({
        path: [...at, 'build', ...issue.path.map(String)],
        message:
          issue.path.length === 0
            ? `${label}: build must be a string or a mapping`
            : `${label}: ${describeIssue(['build'], issue)}`,
      }));
      return { service: null, errors };
    }
    buildSpec = build.data;
  }

  const errors: ServiceIssue[] = [];
  const build = buildSpec === undefined ? null : resolveBuild(buildSpec, ctx);
  if (buildSpec?.dockerfile !== undefined && buildSpec.dockerfile_inline !== undefined) {
    errors.push({ path: [...at, 'build'], message: `${label}: build.dockerfile and build.dockerfile_inline are mutually exclusive` });
  }

  const image = parsed.data.image ?? null;
  let imageRef: string | null = null;
  if (image !== null) {
    imageRef = normalizeImageRef(image);
    if (imageRef === null) errors.push({ path: [...at, 'image'], message: `${label}: image ${JSON.stringify(image)} is not a valid image reference` });
  } else if (build !== null) {
    // Compose v2 names built images `<project>-<service>` (v1 used `_`).
    const defaultName = `${ctx.project}-${name}`;
    imageRef = normalizeImageRef(defaultName);
    if (imageRef === null) errors.push({ path: at, message: `${label}: default image name ${JSON.stringify(defaultName)} is not a valid image reference` });
  } else if (parsed.data.extends === undefined) {
    errors.push({ path: null, message: `${label} has neither an image nor a build context specified` });
  }
  return { service: { name, image, imageRef, build }, errors };
}

/** compose-go `isRemoteContext`: these prefixes are fetched by BuildKit, not read locally. */
const REMOTE_CONTEXT_PREFIXES = ['https://', 'http://', 'git://', 'ssh://', 'github.com/', 'git@'];

function resolveBuild(spec: ComposeBuildSpec, ctx: ServiceContext): ComposeBuild {
  const written = spec.context === undefined || spec.context === '' ? '.' : spec.context;
  const remote = REMOTE_CONTEXT_PREFIXES.some((prefix) => written.startsWith(prefix));
  const context = remote ? written : path.resolve(ctx.baseDir, expandHome(written, ctx.env));
  const dockerfileInline = spec.dockerfile_inline ?? null;
  const dockerfileWritten = spec.dockerfile === undefined || spec.dockerfile === '' ? 'Dockerfile' : spec.dockerfile;
  let dockerfile: string | null = null;
  if (dockerfileInline === null) dockerfile = remote ? dockerfileWritten : path.resolve(context, dockerfileWritten);
  return { context, remote, dockerfile, dockerfileInline, args: resolveArgs(spec.args, ctx.env), target: spec.target ?? null };
}

function expandHome(p: string, env: Env): string {
  const home = env['HOME'];
  if (home === undefined || home === '') return p;
  if (p === '~') return home;
  return p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/** A KEY with no value takes it from the environment; with none there it is not passed at all. */
function resolveArgs(args: ComposeBuildSpec['args'], env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  const fromEnv = (key: string): void => {
    const value = Object.hasOwn(env, key) ? env[key] : undefined;
    if (value !== undefined) out[key] = value;
  };
  if (Array.isArray(args)) {
    for (const entry of args) {
      const eq = entry.indexOf('=');
      if (eq < 0) fromEnv(entry);
      else out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else if (args !== undefined) {
    for (const [key, value] of Object.entries(args)) {
      if (value === null) fromEnv(key);
      else out[key] = String(value);
    }
  }
  return out;
}

function resolveAlias(doc: Document, node: unknown): unknown {
  const { isAlias } = yaml();
  return isAlias(node) ? node.resolve(doc) : node;
}

/**
 * Interpolates string scalars in place, so that anchors are interpolated once where they
 * are written and aliases / merge keys then copy the interpolated value. Keys are not
 * interpolated (Compose does not either).
 */
function interpolateNode(
  doc: Document,
  node: unknown,
  at: Path,
  lookup: VariableLookup,
  lineAt: (offset: number) => number,
  errors: ComposeError[],
  failed: Set<string>,
  seen: Set<unknown>,
): void {
  const { isMap, isScalar, isSeq } = yaml();
  const target = resolveAlias(doc, node);
  if (target === undefined || target === null || seen.has(target)) return;
  seen.add(target);
  if (isScalar(target)) {
    if (typeof target.value !== 'string') return;
    const result = interpolate(target.value, lookup);
    if (result.ok) {
      target.value = result.value;
    } else {
      const line = target.range ? lineAt(target.range[0]) : null;
      errors.push({ line, message: `${at.join('.')}: ${result.error}` });
      failed.add(at.join('.'));
    }
  } else if (isMap(target)) {
    for (const pair of target.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      // A merge key's values belong to the map they are merged into.
      const next = key === '<<' || key === '' ? at : [...at, key];
      interpolateNode(doc, pair.value, next, lookup, lineAt, errors, failed, seen);
    }
  } else if (isSeq(target)) {
    target.items.forEach((item, index) => interpolateNode(doc, item, [...at, index], lookup, lineAt, errors, failed, seen));
  }
}

/** Line of the deepest key along `keys` that exists as written (merge keys are not followed). */
function lineOf(doc: Document, keys: readonly (string | number)[], lineAt: (offset: number) => number): number | null {
  const { isMap, isScalar, isSeq } = yaml();
  let node: unknown = doc.contents;
  let line: number | null = null;
  for (const key of keys) {
    node = resolveAlias(doc, node);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (pair === undefined || !isScalar(pair.key) || !pair.key.range) return line;
      line = lineAt(pair.key.range[0]);
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(String(key))) {
      const item: unknown = node.items[Number(key)];
      if (isScalar(item) && item.range) line = lineAt(item.range[0]);
      node = item;
    } else {
      return line;
    }
  }
  return line;
}
