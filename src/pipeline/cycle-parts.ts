/**
 * The composition root of the outside parts: the registry client and the credentials it uses,
 * made from the settings and the environment in one place. A cycle (check → act) makes them once
 * and hands them down; every command that talks to registries makes them here too.
 */
import type { Settings } from '../config/settings.js';
import { type CredentialSource, dockerCredentials } from '../registry/credentials.js';
import { type RegistryClient, createRegistryClient } from '../registry/registry-client.js';

export interface RegistryParts {
  readonly registry: RegistryClient;
  readonly credentials: CredentialSource;
}

/** Throws RegistryConfigError (exit 2 in the CLI) when a `caFiles` entry cannot be read. */
export function openRegistryParts(settings: Settings, env: Readonly<Record<string, string | undefined>>): RegistryParts {
  const credentials = dockerCredentials({ env: env as NodeJS.ProcessEnv });
  const registry = createRegistryClient({
    insecureRegistries: settings.insecureRegistries,
    caFiles: settings.caFiles,
    timeoutMs: settings.registryTimeoutSeconds * 1000,
    credentials,
  });
  return { registry, credentials };
}
