/**
 * The Docker CLI's own config file, `$DOCKER_CONFIG/config.json` (default `~/.docker`), as far
 * as basewatch reads it: credentials (`auths`, `credsStore`, `credHelpers`) for the registry
 * client and `currentContext` for finding the engine. One schema for the file; each reader
 * validates only the fields it uses (a pick of it), so a bad entry in one part does not stop a
 * reader of another. Pure: reading the file is the caller's.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const DOCKER_CONFIG_FILE_NAME = 'config.json';

/** One `auths` entry: `auth` is base64 of `user:password`; `identitytoken` a refresh token. */
export const DockerAuthEntry = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});
export type DockerAuthEntry = z.infer<typeof DockerAuthEntry>;

export const DockerConfigFile = z.looseObject({
  /** Keyed by server: `https://index.docker.io/v1/` for Docker Hub, else the host (sometimes as a URL). */
  auths: z.record(z.string(), DockerAuthEntry.nullable()).optional(),
  /** A credential helper for every registry: `docker-credential-<credsStore>`. */
  credsStore: z.string().optional(),
  /** A credential helper per server, ahead of `credsStore`. */
  credHelpers: z.record(z.string(), z.string()).optional(),
  /** The context `docker` uses when neither DOCKER_HOST nor DOCKER_CONTEXT is set. */
  currentContext: z.string().optional(),
});
export type DockerConfigFile = z.infer<typeof DockerConfigFile>;

/** What the registry client reads: where credentials are. */
export const DockerCredentialConfig = DockerConfigFile.pick({ auths: true, credsStore: true, credHelpers: true });
export type DockerCredentialConfig = z.infer<typeof DockerCredentialConfig>;

/** What the engine search reads: the chosen context. */
export const DockerContextConfig = DockerConfigFile.pick({ currentContext: true });
export type DockerContextConfig = z.infer<typeof DockerContextConfig>;

export type DockerConfigProblem =
  /**
   * Not JSON. JSON.parse's own message is not kept: it quotes the file's text, which can hold a
   * password; only where it stopped (a character offset), when it says so.
   */
  | { readonly kind: 'not-json'; readonly position: number | null }
  /** The first field that does not fit, dotted (`auths.ghcr.io`); '' when the file is not an object. */
  | { readonly kind: 'bad-field'; readonly field: string };

export type DockerConfigParse<T> = { readonly ok: true; readonly config: T } | { readonly ok: false; readonly problem: DockerConfigProblem };

/** Parses config.json's text against one view of it ({@link DockerCredentialConfig}, {@link DockerContextConfig}, …). */
export function parseDockerConfigFile<T>(text: string, view: z.ZodType<T>): DockerConfigParse<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    return { ok: false, problem: { kind: 'not-json', position: at === undefined ? null : Number(at) } };
  }
  const parsed = view.safeParse(json);
  if (!parsed.success) return { ok: false, problem: { kind: 'bad-field', field: parsed.error.issues[0]?.path.join('.') ?? '' } };
  return { ok: true, config: parsed.data };
}

/** The folder holding config.json: `$DOCKER_CONFIG` when set and not empty, else `<home>/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env, home: string = env.HOME ?? os.homedir()): string {
  const fromEnv = env.DOCKER_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return path.join(home, '.docker');
}
