/**
 * Where an image comes from, for a rebuild: its Dockerfile, context, args and target. A target is
 * an image (name or id), a Dockerfile path, a compose service `<compose file>#<service>`, or a
 * bare service name found in the compose files under the roots. For an image: a link recorded by
 * `basewatch link`, else a compose service under the roots that builds it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readBoundedFile } from '../../util/read-bounded-file.js';
import { type ComposeService, analyzeCompose, parseDotEnv } from '../../inventory/compose/analyze-compose.js';
import type { EngineClient } from '../../engine/docker-engine.js';
import { findProjectFiles, projectFileKind } from '../../inventory/find-project-files.js';
import { familiarImageRef, normalizeImageRef, parseImageRef } from '../../refs/image-ref.js';
import { type BuildLink, type BuildLinksReading, findBuildLink, linkBuildArgs } from '../../inventory/build-link.js';
import { serviceClaimProblem } from './verify-service-claim.js';

export interface BuildSpec {
  /** Absolute path. */
  readonly dockerfile: string;
  /** Absolute path of the build context. */
  readonly context: string;
  readonly target: string | null;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The image the build replaces (a name or an id), or null when none is known. */
  readonly image: string | null;
  /** Tags for the result; empty: every tag of the image replaced. */
  readonly tags: readonly string[];
  /** The compose file and service this build comes from, when it does. */
  readonly compose: string | null;
  readonly service: string | null;
}

export type BuildSourceVia = 'link' | 'compose';

export type BuildSourceResult =
  | { readonly ok: true; readonly spec: BuildSpec; readonly via: BuildSourceVia; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly message: string };

export interface BuildSourceDeps {
  /** To learn the tags of an image named by id or by one of several tags; null skips that. */
  readonly engine: EngineClient | null;
  /** The recorded build links (record/build-links), as the caller read them. */
  readonly buildLinks: BuildLinksReading;
  /** Absolute folders searched for compose files. */
  readonly roots: readonly string[];
  /** Relative paths in a target are taken from here. */
  readonly cwd: string;
  /** For compose interpolation (over each file's `.env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The hint every "cannot tell how it is built" message ends with. */
export function linkHint(image: string): string {
  return `tell basewatch how it is built: basewatch link ${image} <Dockerfile> [--context DIR] [--target STAGE] [--build-arg KEY=VALUE]...`;
}

/** What kind of target this is, from its text alone (a path is confirmed on disk by the caller). */
export function classifyTarget(target: string): { kind: 'compose-service'; file: string; service: string } | { kind: 'path-or-image' } {
  const hash = target.lastIndexOf('#');
  // An image reference never contains '#'.
  if (hash > 0 && hash < target.length - 1) return { kind: 'compose-service', file: target.slice(0, hash), service: target.slice(hash + 1) };
  return { kind: 'path-or-image' };
}

/** A compose service name as Compose accepts it; such a bare word may name a service. */
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export async function resolveBuildSource(deps: BuildSourceDeps, target: string): Promise<BuildSourceResult> {
  const classified = classifyTarget(target);
  if (classified.kind === 'compose-service') {
    const file = path.resolve(deps.cwd, classified.file);
    const read = await readComposeServices(file, deps.env);
    if (!read.ok) return read;
    const service = read.services.find((s) => s.name === classified.service);
    if (service === undefined) {
      return { ok: false, message: `${file} has no service "${classified.service}" (it has: ${read.services.map((s) => s.name).join(', ') || 'none'})` };
    }
    return fromService(file, service, []);
  }

  const asPath = path.resolve(deps.cwd, target);
  if ((target.includes('/') || projectFileKind(path.basename(target)) !== null) && (await isFile(asPath))) {
    if (projectFileKind(path.basename(asPath)) === 'compose') {
      return { ok: false, message: `${asPath} is a compose file: name a service as ${asPath}#<service>` };
    }
    return fromDockerfile(deps, asPath);
  }
  return fromImage(deps, target);
}

async function fromDockerfile(deps: BuildSourceDeps, dockerfile: string): Promise<BuildSourceResult> {
  const warnings: string[] = [];
  const links = linksOf(deps.buildLinks, warnings);
  const linked = links.filter((link) => link.dockerfile === dockerfile);
  const services = (await composeServicesUnder(deps, warnings)).filter(({ service }) => service.build?.dockerfile === dockerfile);
  const choices = [
    ...linked.map((link) => ({ label: familiarOf(link.image), make: () => fromLink(link, familiarOf(link.image), warnings, deps.env) })),
    ...services.map(({ file, service }) => ({ label: `${file}#${service.name}`, make: () => fromService(file, service, warnings) })),
  ];
  const [first, ...others] = choices;
  if (first === undefined) {
    return { ok: false, message: `no image is known to be built from ${dockerfile}: ${linkHint('<image>')}` };
  }
  if (others.length > 0) warnings.push(`${dockerfile} builds several images; rebuilt ${first.label} (others: ${others.map((o) => o.label).join(', ')})`);
  return first.make();
}

async function fromImage(deps: BuildSourceDeps, image: string): Promise<BuildSourceResult> {
  const warnings: string[] = [];
  const local = deps.engine === null ? null : await deps.engine.inspectImage(image);
  const names = [image, ...(local?.repoTags ?? [])];
  const links = linksOf(deps.buildLinks, warnings);
  const link = findBuildLink(links, names);
  if (link !== null) return fromLink(link, image, warnings, deps.env);

  const wanted = new Set(names.flatMap((name) => normalizeImageRef(name) ?? []));
  const all = await composeServicesUnder(deps, warnings);
  const building = all.filter(({ service }) => service.build !== null && service.imageRef !== null && wanted.has(service.imageRef));
  const [first, ...others] = building;
  if (first !== undefined && local !== null && deps.engine !== null) {
    // An existing image: the service must be shown to build it (a compose file under a watched
    // folder can name any image), as `check` does before it links one.
    const problem = await serviceClaimProblem(deps.engine, local, first.service, deps.roots);
    if (problem !== null) {
      return {
        ok: false,
        message: `${first.file} (service ${first.service.name}) claims ${image} but ${problem}; not rebuilt from it. If it does build ${image}: basewatch link ${image} <its Dockerfile>, or basewatch rebuild ${first.file}#${first.service.name}`,
      };
    }
  }
  if (first !== undefined) {
    if (others.length > 0) {
      warnings.push(`several compose services build ${image}; used ${first.file}#${first.service.name} (others: ${others.map((o) => `${o.file}#${o.service.name}`).join(', ')})`);
    }
    return fromService(first.file, first.service, warnings, image);
  }

  // A bare word that is no local image may be a service name.
  if (local === null && SERVICE_NAME.test(image)) {
    const named = all.filter(({ service }) => service.name === image);
    const [only, ...more] = named;
    if (only !== undefined && more.length === 0) return fromService(only.file, only.service, warnings);
    if (only !== undefined) {
      return { ok: false, message: `several compose services are called "${image}": name one as ${named.map((n) => `${n.file}#${image}`).join(' or ')}` };
    }
  }

  const where = deps.roots.length > 0 ? deps.roots.join(', ') : 'no folder';
  const what = local === null && deps.engine !== null ? `there is no local image ${image}, and ` : '';
  return {
    ok: false,
    message: `cannot tell how ${image} is built: ${what}no \`basewatch link\` names it and no compose service under ${where} builds it; ${linkHint(image)}`,
  };
}

function fromLink(link: BuildLink, image: string, warnings: readonly string[], env: Readonly<Record<string, string | undefined>>): BuildSourceResult {
  return {
    ok: true,
    via: 'link',
    warnings,
    // `--build-arg KEY` links take KEY from the environment now, as docker build does.
    spec: { dockerfile: link.dockerfile, context: link.context, target: link.target, buildArgs: linkBuildArgs(link, env), image, tags: [], compose: null, service: null },
  };
}

function fromService(file: string, service: ComposeService, warnings: readonly string[], image?: string): BuildSourceResult {
  const build = service.build;
  const label = `${file}#${service.name}`;
  if (build === null) return { ok: false, message: `${label} has no build: section; it uses ${service.image ?? 'no image'} as it is` };
  if (build.remote) return { ok: false, message: `${label} builds from a remote context (${build.context}); basewatch rebuilds local contexts only` };
  if (build.dockerfile === null) return { ok: false, message: `${label} uses dockerfile_inline; basewatch rebuilds from a Dockerfile on disk only` };
  return {
    ok: true,
    via: 'compose',
    warnings,
    spec: {
      dockerfile: build.dockerfile,
      context: build.context,
      target: build.target,
      buildArgs: build.args,
      image: image ?? (service.imageRef === null ? null : familiarOf(service.imageRef)),
      tags: [],
      compose: file,
      service: service.name,
    },
  };
}

function linksOf(reading: BuildLinksReading, warnings: string[]): readonly BuildLink[] {
  if (reading.ok) return reading.links;
  warnings.push(`recorded links were not read: ${reading.message}`);
  return [];
}

type ComposeRead = { ok: true; services: ComposeService[] } | { ok: false; message: string };

async function readComposeServices(file: string, env: Readonly<Record<string, string | undefined>>): Promise<ComposeRead> {
  const read = await readBoundedFile(file, 'compose');
  if (!read.ok) return { ok: false, message: `cannot read ${file}: it ${read.message}` };
  const text = read.text;
  // Compose reads .env beside the file; the process environment wins over it.
  const dotEnvRead = await readBoundedFile(path.join(path.dirname(file), '.env'), 'dot-env');
  const dotEnv = dotEnvRead.ok ? parseDotEnv(dotEnvRead.text) : {};
  const analysis = analyzeCompose(text, file, { ...dotEnv, ...env });
  if (analysis.services.length === 0 && analysis.errors.length > 0) {
    return { ok: false, message: `${file}: ${analysis.errors.map((e) => (e.line === null ? e.message : `line ${e.line}: ${e.message}`)).join('; ')}` };
  }
  return { ok: true, services: analysis.services };
}

async function composeServicesUnder(deps: BuildSourceDeps, warnings: string[]): Promise<Array<{ file: string; service: ComposeService }>> {
  if (deps.roots.length === 0) return [];
  const found = await findProjectFiles(deps.roots);
  const services: Array<{ file: string; service: ComposeService }> = [];
  for (const file of found.composeFiles) {
    const read = await readComposeServices(file, deps.env);
    if (!read.ok) {
      warnings.push(read.message);
      continue;
    }
    services.push(...read.services.map((service) => ({ file, service })));
  }
  return services;
}

function familiarOf(ref: string): string {
  const parsed = parseImageRef(ref);
  return parsed.ok ? familiarImageRef(parsed.ref) : ref;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}
