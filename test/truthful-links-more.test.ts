// Truthful links, continued (issue 11, and issue 17's first point): more scenarios against the
// real engine and registry, each with its negative. See test/truthful-links.test.ts for the first
// table; a registry that hangs (rule 9) is test/registry-failures.test.ts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type BasewatchResult, buildImage, docker, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

interface ImageJson {
  name: string;
  id: string;
  status: string;
  reason: string;
  base: { ref: string; digest: string | null; via: string; localId: string | null; waitsOn?: string } | null;
  source: { dockerfile: string | null; compose: string | null; service: string | null } | null;
  copySources?: Array<{ ref: string; status: string }>;
  unlinkedClaims?: Array<{ compose: string; service: string; dockerfile: string | null; reason: string }>;
}
interface CheckJson {
  images: ImageJson[];
}
interface CycleJson {
  plan: Array<{ image: string; action: { kind: string }; why: string }>;
  actions: Array<{ target: string; kind: string; reason: string }>;
}

function parse<T>(result: BasewatchResult, what: string): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    return assert.fail(`${what} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

async function check(home: string, root: string, tag: string, env: Record<string, string> = {}): Promise<ImageJson> {
  const result = await runBasewatch(['check', '--json', '--root', root, tag], { home, env });
  const image = parse<CheckJson>(result, 'check').images.find((entry) => entry.name === tag);
  assert.ok(image, `check reported no ${tag}: ${result.stdout}`);
  return image;
}

async function update(home: string, root: string, tags: readonly string[], dryRun: boolean, env: Record<string, string> = {}): Promise<CycleJson> {
  const result = await runBasewatch(['update', '--json', '--root', root, ...(dryRun ? ['--dry-run'] : []), ...tags], { home, env });
  return parse<CycleJson>(result, 'update');
}

async function idOf(ref: string): Promise<string> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

async function settings(values: Record<string, string>): Promise<string> {
  const home = await makeTempDir('links-home');
  for (const [key, value] of Object.entries(values)) {
    const set = await runBasewatch(['config', 'set', key, value], { home });
    assert.equal(set.code, 0, set.stderr);
  }
  return home;
}

const quoted = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('truthful links, more scenarios (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  /** `<repo>:1` published and local at v1; with `moved`, upstream republished as v2 (local stays v1). */
  async function published(prefix: string, moved: boolean, files: Record<string, string> = {}): Promise<string> {
    const ref = `${registry}/${uniqueName(prefix)}:1`;
    const v1 = await makeBaseImage({ ref, files: { '/etc/base-version': 'v1\n', '/srv/tool': 'tool v1\n', '/srv/name': `${ref}\n`, ...files } });
    await pushImage(ref);
    if (moved) {
      const v2 = await makeBaseImage({ ref, files: { '/etc/base-version': 'v2\n', '/srv/tool': 'tool v2\n', '/srv/name': `${ref}\n`, ...files } });
      await pushImage(ref);
      await docker(['tag', v1, ref]);
      await docker(['image', 'rm', v2]).catch(() => '');
    }
    return ref;
  }

  describe('compose takeover: a compose service naming an existing image it did not build', () => {
    it('its history does not match: not linked, reported in check and --json, and update under policy auto leaves the image untouched', async () => {
      const base = await published('victim-base', false);
      // A copy source that moved: taken on its word, the service would make the image outdated and rebuilt.
      const src = await published('victim-src', true);
      const victimProject = await writeProject({ Dockerfile: `FROM ${base}\nCOPY v.txt /v.txt\n`, 'v.txt': 'victim\n' });
      const victim = `${uniqueName('victim')}:1`;
      const victimId = await buildImage({ context: victimProject, tag: victim });
      const root = await writeProject({
        Dockerfile: `FROM ${base}\nARG X\nCOPY --from=${src} /srv/tool /tool\nRUN echo "$X" > /x\n`,
        'compose.yaml': `services:\n  evil:\n    image: ${victim}\n    build:\n      context: .\n      args:\n        X: "\${TAKEOVER_VALUE}"\n`,
      });
      const env = { TAKEOVER_VALUE: 'from-the-daemon-environment' };
      const home = await settings({ minimumAge: '0', policy: 'auto' });

      const image = await check(home, root, victim, env);
      assert.equal(image.source, null, JSON.stringify(image.source));
      assert.equal(image.copySources, undefined, 'the service\'s copy sources are not the image\'s');
      assert.equal(image.status, 'current', image.reason);
      assert.deepEqual(image.unlinkedClaims, [{ compose: join(root, 'compose.yaml'), service: 'evil', dockerfile: join(root, 'Dockerfile'), reason: 'its history does not match' }]);
      assert.match(image.reason, new RegExp(`${quoted(join(root, 'compose.yaml'))} \\(service evil\\) claims ${quoted(victim)} but its history does not match; not linked`));
      const text = await runBasewatch(['check', '--root', root, victim], { home, env });
      assert.match(text.stdout, new RegExp(`claims ${quoted(victim)} but its history does not match; not linked`), text.stdout);

      const dry = await update(home, root, [victim], true, env);
      assert.equal(dry.plan.find((p) => p.image === victim)?.action.kind, 'skip', JSON.stringify(dry.plan));
      const real = await update(home, root, [victim], false, env);
      assert.deepEqual(real.actions.filter((a) => a.target === victim), [], JSON.stringify(real.actions));
      assert.equal(await idOf(victim), victimId, 'the victim image is untouched');
      assert.equal(await docker(['run', '--rm', victim, 'cat', '/v.txt']), 'victim\n');

      // Asked by name, `rebuild` does not build it from that service either.
      const rebuild = await runBasewatch(['rebuild', '--root', root, victim], { home, env });
      assert.notEqual(rebuild.code, 0, rebuild.stdout);
      assert.match(rebuild.stderr + rebuild.stdout, new RegExp(`\\(service evil\\) claims ${quoted(victim)} but its history does not match; not rebuilt from it`));
      assert.equal(await idOf(victim), victimId);
    });

    it('a build context outside the roots needs a link even when the history matches; with `basewatch link` it is rebuilt', async () => {
      // The base moved, and the image's own RUN touches the package database: a rebase is refused,
      // so policy auto falls back to a rebuild, if it knows a Dockerfile.
      const base = await published('outside-base', true);
      const victimProject = await writeProject({ Dockerfile: `FROM ${base}\nRUN echo 'Package: extra' >> /var/lib/dpkg/status\nCOPY v.txt /v.txt\n`, 'v.txt': 'victim\n' });
      const victim = `${uniqueName('outside')}:1`;
      const victimId = await buildImage({ context: victimProject, tag: victim });
      const root = await writeProject({ 'compose.yaml': `services:\n  app:\n    image: ${victim}\n    build:\n      context: ${victimProject}\n` });
      const home = await settings({ minimumAge: '0', policy: 'auto' });

      const image = await check(home, root, victim);
      assert.equal(image.source, null);
      assert.equal(image.status, 'outdated', image.reason);
      assert.equal(image.unlinkedClaims?.[0]?.reason, `its build context ${victimProject} is outside the watched folders`);
      const dry = await update(home, root, [victim], true);
      assert.match(dry.actions.find((a) => a.target === victim)?.reason ?? '', /rebase \(report if not safe\)/, JSON.stringify(dry.actions));
      const real = await update(home, root, [victim], false);
      assert.equal(real.actions.find((a) => a.target === victim)?.kind, 'reported', JSON.stringify(real.actions));
      assert.equal(await idOf(victim), victimId, 'not rebuilt from a context outside the roots');

      // The user's word: the same Dockerfile, linked.
      const linked = await runBasewatch(['link', victim, join(victimProject, 'Dockerfile')], { home });
      assert.equal(linked.code, 0, linked.stderr);
      const relinked = await check(home, root, victim);
      assert.equal(relinked.source?.dockerfile, join(victimProject, 'Dockerfile'));
      assert.equal(relinked.unlinkedClaims, undefined);
      const rebuilt = await update(home, root, [victim], false);
      assert.equal(rebuilt.actions.find((a) => a.target === victim)?.kind, 'rebuilt', JSON.stringify(rebuilt.actions));
      assert.equal(await docker(['run', '--rm', victim, 'cat', '/etc/base-version']), 'v2\n');
    });

    it('negative: the service that did build the image (under the roots, history matching) is its source, and update rebuilds it from there', async () => {
      const base = await published('own-base', false);
      const src = await published('own-src', true);
      const tag = `${uniqueName('own')}:1`;
      const root = await writeProject({
        Dockerfile: `FROM ${base}\nARG X\nCOPY --from=${src} /srv/tool /tool\nRUN echo "$X" > /x\n`,
        'compose.yaml': `services:\n  app:\n    image: ${tag}\n    build:\n      context: .\n      args:\n        X: "one"\n`,
      });
      await buildImage({ context: root, tag, buildArgs: { X: 'one' } });
      const home = await settings({ minimumAge: '0', policy: 'auto' });
      const image = await check(home, root, tag);
      assert.equal(image.source?.service, 'app', JSON.stringify(image));
      assert.equal(image.unlinkedClaims, undefined);
      assert.equal(image.status, 'outdated', image.reason);
      const real = await update(home, root, [tag], false);
      assert.equal(real.actions.find((a) => a.target === tag)?.kind, 'rebuilt', JSON.stringify(real.actions));
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/tool']), 'tool v2\n');
      // Rebuilt by basewatch (its base labels stamped): still its own service's image.
      const after = await check(home, root, tag);
      assert.equal(after.source?.service, 'app', after.reason);
      assert.equal(after.status, 'current', after.reason);
    });
  });
});
