// The docker CLI against the test engine, and fixture images built with it the way a
// user would build them.
import { join, resolve } from 'node:path';
import { RUN_LABEL, TEST_LABEL } from '../world/env.js';
import { run, runChecked } from '../world/process.js';
import { requireWorld } from './current-world.js';
import { type DpkgPackage, writeRootfs } from './rootfs.js';
import { makeTempDir, recordCreatedImage } from './temp.js';

export interface DockerOptions {
  input?: string | Uint8Array;
  cwd?: string;
  /** Extra env for the CLI; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
  /** Default 180 000 ms. */
  timeoutMs?: number;
}

/** Environment of a docker CLI talking to the test engine with the legacy builder (no buildx here). */
export function dockerEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const world = requireWorld();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: world.dockerHost,
    DOCKER_BUILDKIT: '0',
    DOCKER_CONFIG: join(world.dir, 'docker-config'),
  };
  // These would point the CLI elsewhere than DOCKER_HOST or make it speak TLS.
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}


/** Runs `docker ...args` against the test engine; returns stdout, throws with stderr on a non-zero exit. */
export function docker(args: readonly string[], options: DockerOptions = {}): Promise<string> {
  return runChecked('docker', args, {
    env: dockerEnv(options.env),
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}

export interface BaseImageSpec {
  /** Tag for the image, e.g. `${world.registry}/${uniqueName('base')}:1`. */
  ref: string;
  /** Extra files in the rootfs, path → content; they win over the defaults. */
  files?: Record<string, string | Uint8Array>;
  /** ENV of the image, merged over PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin. */
  env?: Record<string, string>;
  /** LABELs besides basewatch.test=1 and the run label. */
  labels?: Record<string, string>;
  /** Packages for /var/lib/dpkg/status (default: base-files, libc6, libssl3). */
  dpkg?: readonly DpkgPackage[];
  /** /etc/os-release fields or text (default: Debian 12). */
  osRelease?: Record<string, string> | string;
  /** CMD, default ["/bin/sh"]. */
  cmd?: string[];
  /** More Dockerfile instructions for `docker import -c`, e.g. 'WORKDIR /srv'. */
  changes?: string[];
  /** Engine to import into (DOCKER_HOST), e.g. the world's modernContainerdHost. Default: the test engine. */
  dockerHost?: string;
}

let madeBases = 0;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Builds a one-layer busybox "distro" image with `docker import`; returns its image id (sha256:…). */
export async function makeBaseImage(spec: BaseImageSpec): Promise<string> {
  const world = requireWorld();
  const work = await makeTempDir('base');
  const root = join(work, 'rootfs');
  await writeRootfs(root, {
    busybox: world.busybox,
    // A file naming the image: two bases made by tests running at the same time with the same
    // files (in the same second) would otherwise share their layer, and link ambiguously.
    files: { '/etc/basewatch-test-image': `${spec.ref} ${++madeBases}\n`, ...spec.files },
    ...(spec.dpkg ? { dpkg: spec.dpkg } : {}),
    ...(spec.osRelease !== undefined ? { osRelease: spec.osRelease } : {}),
  });
  const tar = join(work, 'rootfs.tar');
  await runChecked('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tar, '.']);
  const env = { PATH: DEFAULT_PATH, ...spec.env };
  const labels = { ...spec.labels, [TEST_LABEL]: '1', [RUN_LABEL]: world.runId };
  const changes = [
    ...Object.entries(env).map(([key, value]) => `ENV ${key}=${quoteInstructionValue(value)}`),
    `LABEL ${Object.entries(labels)
      .map(([key, value]) => `${quoteInstructionValue(key)}=${quoteInstructionValue(value)}`)
      .join(' ')}`,
    `CMD ${JSON.stringify(spec.cmd ?? ['/bin/sh'])}`,
    ...(spec.changes ?? []),
  ];
  recordCreatedImage(spec.ref);
  const out = await docker(['import', ...changes.flatMap((change) => ['-c', change]), tar, spec.ref], {
    ...(spec.dockerHost !== undefined ? { env: { DOCKER_HOST: spec.dockerHost } } : {}),
  });
  const id = out.trim().split('\n').pop() ?? '';
  if (!/^sha256:[0-9a-f]{64}$/.test(id)) throw new Error(`docker import printed no image id: ${JSON.stringify(out)}`);
  return id;
}

/** A Dockerfile value in double quotes, so spaces, quotes and `$` survive the instruction parser. */
function quoteInstructionValue(value: string): string {
  return `"${value.replace(/["\\$]/g, (c) => `\\${c}`)}"`;
}

/** `docker push ref`; returns the manifest digest the registry stored (sha256:…). */
export async function pushImage(ref: string, options: DockerOptions = {}): Promise<string> {
  const out = await docker(['push', ref], options);
  const match = /digest: (sha256:[0-9a-f]{64})/.exec(out);
  if (match?.[1]) return match[1];
  // Older/newer CLIs word the last line differently; the engine records the digest anyway.
  const repository = ref.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  const digests = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref], options)) as string[];
  const digest = digests.find((entry) => entry.startsWith(`${repository}@`))?.split('@')[1];
  if (!digest) throw new Error(`docker push ${ref}: no digest in output or RepoDigests:\n${out}`);
  return digest;
}

export interface BuildSpec {
  /** Build context directory. */
  context: string;
  /** Tag for the result (required, so teardown can find images that lack fixture labels). */
  tag: string;
  /** Dockerfile path; relative paths are resolved against the context. Default <context>/Dockerfile. */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  target?: string;
  /** Extra `docker build` flags, e.g. ['--no-cache']. */
  extraArgs?: string[];
}

/** `docker build` (legacy builder) as a user would run it; returns the image id. */
export async function buildImage(spec: BuildSpec): Promise<string> {
  const args = ['build', '-t', spec.tag];
  if (spec.dockerfile !== undefined) args.push('-f', resolve(spec.context, spec.dockerfile));
  for (const [key, value] of Object.entries(spec.buildArgs ?? {})) args.push('--build-arg', `${key}=${value}`);
  if (spec.target !== undefined) args.push('--target', spec.target);
  args.push(...(spec.extraArgs ?? []), spec.context);
  recordCreatedImage(spec.tag);
  await docker(args, { cwd: spec.context });
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', spec.tag])).trim();
}

/** `docker image inspect ref`, parsed. */
export async function inspectImage(ref: string, options: DockerOptions = {}): Promise<DockerImageInspect> {
  const [image] = JSON.parse(await docker(['image', 'inspect', ref], options)) as DockerImageInspect[];
  if (!image) throw new Error(`docker image inspect ${ref}: empty answer`);
  return image;
}

/** The parts of `docker image inspect` the tests look at. */
export interface DockerImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Os: string;
  Architecture: string;
  Config: { Env?: string[] | null; Cmd?: string[] | null; Labels?: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
}

/** Removes images by ref or id, best effort (missing ones are fine). */
export async function removeImages(refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    await run('docker', ['image', 'rm', '-f', ref], { env: dockerEnv() }).catch(() => {});
  }
}
