/**
 * Compose project name, with Compose's precedence (docs.docker.com/compose/how-tos/project-name):
 * `-p` (not ours to see), then `COMPOSE_PROJECT_NAME`, then top-level `name:`, then the
 * basename of the compose file's directory. The brief listed `name:` before the env
 * variable; Compose does it the other way round and we follow Compose so image names match.
 */
import path from 'node:path';

export type ProjectNameResult = { readonly project: string; readonly error: string | null };

/** compose-go `NormalizeProjectName`: lowercase, keep `[a-z0-9_-]`, no leading `_` or `-`. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export function resolveProjectName(
  nameField: string | undefined,
  composeFilePath: string,
  envProjectName: string | undefined,
): ProjectNameResult {
  // An explicit COMPOSE_PROJECT_NAME is not silently rewritten by Compose: it must already be valid.
  if (envProjectName !== undefined && envProjectName !== '') {
    const normalized = normalizeProjectName(envProjectName);
    if (normalized === envProjectName) return { project: normalized, error: null };
    const error =
      `invalid project name ${JSON.stringify(envProjectName)} in COMPOSE_PROJECT_NAME: must consist only of ` +
      'lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number';
    if (normalized !== '') return { project: normalized, error };
    return { project: fromFile(nameField, composeFilePath), error };
  }
  const project = fromFile(nameField, composeFilePath);
  return { project, error: project === '' ? 'project name must not be empty' : null };
}

function fromFile(nameField: string | undefined, composeFilePath: string): string {
  const fromName = normalizeProjectName(nameField ?? '');
  if (fromName !== '') return fromName;
  return normalizeProjectName(path.basename(path.dirname(path.resolve(composeFilePath))));
}
