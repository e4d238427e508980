/**
 * How images are built, as the user told `basewatch link <image> <Dockerfile>`. Kept in the state
 * folder (one JSON file, written atomically, parsed through a schema when read): `rebuild` looks
 * here first for an image that no compose file describes.
 */
import path from 'node:path';
import { z } from 'zod';
import { type BuildLink, type BuildLinksReading, BuildLinkSchema } from '../inventory/build-link.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { readBoundedFile, setFileAside } from '../util/read-bounded-file.js';

export const BUILD_LINKS_FILE = 'build-links.json';

const BuildLinksFileSchema = z.object({
  version: z.literal(1),
  links: z.array(BuildLinkSchema),
});

export function buildLinksFile(stateDir: string): string {
  return path.join(stateDir, BUILD_LINKS_FILE);
}

/** The recorded links; none when the file does not exist; a problem (never a throw) when it is unreadable. */
export async function readBuildLinks(stateDir: string): Promise<BuildLinksReading> {
  const file = buildLinksFile(stateDir);
  const read = await readBoundedFile(file, 'build-links');
  if (!read.ok) {
    if (read.problem === 'missing') return { ok: true, links: [] };
    if (read.problem === 'unreadable') return { ok: false, file, message: `${file} ${read.message}` };
    // Not a regular file, or oversized: nothing basewatch wrote. Set aside, so links can be made again.
    const aside = await setFileAside(file);
    const where = aside === null ? 'could not move it aside: remove it' : `moved it to ${aside}`;
    return { ok: true, links: [], warning: `build links file ${file} ${read.message}; ${where}; link the images again with basewatch link` };
  }
  const text = read.text;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, file, message: `${file} is not JSON: ${(error as Error).message}` };
  }
  const parsed = BuildLinksFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, file, message: `${file}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}` };
  }
  return { ok: true, links: parsed.data.links };
}

/** Records a link, replacing an earlier one for the same image. */
export async function saveBuildLink(stateDir: string, link: BuildLink): Promise<{ ok: true } | { ok: false; message: string }> {
  const current = await readBuildLinks(stateDir);
  if (!current.ok) return { ok: false, message: `${current.message}; fix or remove it, then link again` };
  const links = [...current.links.filter((l) => l.image !== link.image), link];
  try {
    await writeFileAtomic(buildLinksFile(stateDir), `${JSON.stringify({ version: 1, links }, null, 2)}\n`);
  } catch (error) {
    return { ok: false, message: `cannot write ${buildLinksFile(stateDir)}: ${(error as Error).message}` };
  }
  return { ok: true };
}

/** Forgets the link of an image (a normalised reference); the removed link, or null when there was none. */
export async function removeBuildLink(stateDir: string, image: string): Promise<{ ok: true; removed: BuildLink | null } | { ok: false; message: string }> {
  const current = await readBuildLinks(stateDir);
  if (!current.ok) return { ok: false, message: `${current.message}; fix or remove it, then unlink again` };
  const removed = current.links.find((link) => link.image === image) ?? null;
  if (removed === null) return { ok: true, removed };
  const links = current.links.filter((link) => link.image !== image);
  try {
    await writeFileAtomic(buildLinksFile(stateDir), `${JSON.stringify({ version: 1, links }, null, 2)}\n`);
  } catch (error) {
    return { ok: false, message: `cannot write ${buildLinksFile(stateDir)}: ${(error as Error).message}` };
  }
  return { ok: true, removed };
}
