/**
 * The user's Docker credential for a registry, in the form the engine takes for its own pulls
 * (X-Registry-Auth, X-Registry-Config), for the rebuild's pulls and builds and the rebase's pull
 * (it belongs in src/registry once that folder's owner moves it there).
 */
import type { EngineRegistryAuth } from '../../engine/docker-engine.js';
import { type CredentialLookup, type CredentialSource, credentialServerAddress } from '../../registry/credentials.js';

export function engineAuthFrom(found: CredentialLookup, registry: string): EngineRegistryAuth | null {
  const credential = found.credential;
  if (credential === null) return null;
  const serveraddress = credentialServerAddress(registry);
  return credential.identityToken
    ? { identitytoken: credential.secret, serveraddress }
    : { username: credential.username, password: credential.secret, serveraddress };
}

/** Looks the credential up; none (anonymous pulls) when there is none or its helper failed. */
export async function engineAuthFor(credentials: CredentialSource, registry: string): Promise<EngineRegistryAuth | null> {
  return engineAuthFrom(await credentials(registry), registry);
}
