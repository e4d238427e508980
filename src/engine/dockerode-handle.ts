/**
 * The one module that imports dockerode (and, through it, docker-modem). It loads dockerode
 * without its BuildKit-session stack and hands the rest of the engine adapter a `Dockerode`
 * handle and the few modem fields we set ourselves. The rest of basewatch sees `EngineClient`.
 */
import { Module, createRequire } from 'node:module';
import type Dockerode from 'dockerode';

export type { Dockerode };
export type DockerOptions = Dockerode.DockerOptions;
export type ImageBuildOptions = Dockerode.ImageBuildOptions;

/**
 * dockerode 5 loads lib/session.js as it loads, and with it @grpc/grpc-js and protobufjs (some
 * 110 modules, ~6 MB of a daemon's resident memory) for BuildKit sessions, which it opens only for
 * a build with `version: '2'`. basewatch builds with the API's classic builder and never opens
 * one, so that module is swapped, before dockerode loads, for one that says so if it is ever
 * called. With another dockerode layout the swap is skipped and dockerode loads as it is.
 */
function loadDockerode(): typeof Dockerode {
  const require = createRequire(import.meta.url);
  try {
    const sessionPath = require.resolve('dockerode/lib/session.js');
    if (require.cache[sessionPath] === undefined) {
      const session = new Module(sessionPath);
      session.filename = sessionPath;
      session.loaded = true;
      session.exports = (_docker: unknown, _auth: unknown, handler: (error: Error) => void): void =>
        handler(new Error('basewatch builds with the classic builder and does not open BuildKit sessions'));
      require.cache[sessionPath] = session;
    }
  } catch {
    // Not where dockerode 5 keeps it: nothing to swap.
  }
  deferModemSsh(createRequire(require.resolve('dockerode')));
  return require('dockerode') as typeof Dockerode;
}

/**
 * docker-modem requires lib/ssh.js, and with it ssh2 (some 25 modules with its crypto and
 * optional native parts), as it loads, though only an ssh:// DOCKER_HOST ever calls it. Its
 * cache entry is swapped for a function that loads the real module on its first call.
 */
function deferModemSsh(dockerodeRequire: NodeJS.Require): void {
  let sshPath: string;
  try {
    sshPath = createRequire(dockerodeRequire.resolve('docker-modem')).resolve('./ssh.js');
  } catch {
    return; // Another docker-modem layout: it loads as it is.
  }
  if (dockerodeRequire.cache[sshPath] !== undefined) return;
  let real: ((options: unknown) => unknown) | null = null;
  const lazy = new Module(sshPath);
  lazy.filename = sshPath;
  lazy.loaded = true;
  lazy.exports = (options: unknown): unknown => {
    if (real === null) {
      // Out of the cache goes the stand-in, so that this require reads the real file.
      delete dockerodeRequire.cache[sshPath];
      real = dockerodeRequire(sshPath) as (options: unknown) => unknown;
    }
    return real(options);
  };
  dockerodeRequire.cache[sshPath] = lazy;
}

const DockerodeClass = loadDockerode();

/** A dockerode for these modem options, whatever DOCKER_HOST says. */
export function createDockerode(options: DockerOptions): Dockerode {
  return withoutDockerHostEnv(() => new DockerodeClass(options));
}

/** A dockerode over a copy of `docker`'s modem (same transport, TLS, version) with its own socket timeout. */
export function dockerodeWithModemTimeout(docker: Dockerode, timeoutMs: number): Dockerode {
  const modem = Object.assign(Object.create(Object.getPrototypeOf(docker.modem) as object) as object, docker.modem, { timeout: timeoutMs });
  return new DockerodeClass({ modem } as DockerOptions);
}

/**
 * docker-modem's constructor reads DOCKER_HOST (and with it DOCKER_CERT_PATH, whose files it
 * reads synchronously) and throws on a value it cannot parse, even when we pass a complete
 * endpoint. We resolve the endpoint ourselves, so hide the variable while it runs.
 */
function withoutDockerHostEnv<T>(make: () => T): T {
  const saved = process.env['DOCKER_HOST'];
  if (saved === undefined) return make();
  delete process.env['DOCKER_HOST'];
  try {
    return make();
  } finally {
    process.env['DOCKER_HOST'] = saved;
  }
}

export { type ModemInternals, modemOf } from './modem-internals.js';
