/**
 * Fills the shared engine up to a developer's scale for a bench (issue 14: "hundreds of images"):
 * `count` distinct images (one tiny shared layer, a config each: a label), made with one
 * `docker load` of a docker-save archive written here, so a thousand take seconds, not a
 * thousand builds. They carry the test world's labels (its teardown removes them too) and are
 * removed by the returned function.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RUN_LABEL, TEST_LABEL, docker, getWorld, makeTempDir, uniqueName } from '../test/helpers/world.js';

function tarEntry(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512, 0);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, padding]);
}

function tar(entries: ReadonlyArray<readonly [string, Buffer]>): Buffer {
  return Buffer.concat([...entries.map(([name, content]) => tarEntry(name, content)), Buffer.alloc(1024, 0)]);
}

/** Adds `count` images to the engine; returns their tags and a function removing them. */
export async function fillEngine(count: number): Promise<{ tags: string[]; remove: () => Promise<void> }> {
  const world = getWorld();
  if (world === null || count <= 0) return { tags: [], remove: async () => {} };
  const layer = tar([['etc/basewatch-fill', Buffer.from(`${uniqueName('fill')}\n`)]]);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const repo = uniqueName('editfill');
  const entries: Array<[string, Buffer]> = [['layer.tar', layer]];
  const manifest: unknown[] = [];
  const tags: string[] = [];
  for (let i = 0; i < count; i++) {
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: new Date().toISOString(),
      config: { Labels: { [TEST_LABEL]: '1', [RUN_LABEL]: world.runId, 'bench.fill': String(i) } },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: new Date().toISOString(), created_by: `bench fill ${i}` }],
    }));
    const name = `${createHash('sha256').update(config).digest('hex')}.json`;
    const tag = `${repo}:${i}`;
    entries.push([name, config]);
    manifest.push({ Config: name, RepoTags: [tag], Layers: ['layer.tar'] });
    tags.push(tag);
  }
  entries.push(['manifest.json', Buffer.from(JSON.stringify(manifest))]);
  const file = path.join(await makeTempDir('fill'), 'images.tar');
  await writeFile(file, tar(entries));
  await docker(['load', '-q', '-i', file], { timeoutMs: 600_000 });
  return {
    tags,
    remove: async () => {
      for (let i = 0; i < tags.length; i += 200) await docker(['image', 'rm', '-f', ...tags.slice(i, i + 200)], { timeoutMs: 600_000 }).catch(() => '');
    },
  };
}
