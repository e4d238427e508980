// Truthful links (issue "Truthful links"): which base, under which tag, was an image built on —
// and when nothing says, basewatch reports and does not act. Each scenario against the real
// engine and registry, with its negative (nothing moved: current, no action). `check --json` and
// `update --dry-run --json` must agree.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { buildImage, docker, getWorld, makeBaseImage, makeTempDir, pushImage, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';
import { type CycleJson, check, idOf, parse, settings, update } from './helpers/links.js';


/**
 * A base published as `<repo>:1` and `<repo>:1.2` (one image, two tags, as `node:22` and
 * `node:22.11`), both pulled here. With `moved`, upstream then republishes `:1` (the floating
 * tag) with a patch; `:1.2` stays. Locally both tags stay on v1.
 */
async function twoTagBase(registry: string, moved: boolean) {
  const repo = `${registry}/${uniqueName('twotag')}`;
  const floating = `${repo}:1`;
  const fixed = `${repo}:1.2`;
  const v1 = await makeBaseImage({ ref: floating, files: { '/etc/base-version': 'v1\n' } });
  await docker(['tag', floating, fixed]);
  const v1Digest = await pushImage(floating);
  await pushImage(fixed);
  if (moved) {
    const v2 = await makeBaseImage({ ref: floating, files: { '/etc/base-version': 'v2\n', '/etc/patched': 'yes\n' } });
    await pushImage(floating);
    await docker(['tag', v1, floating]);
    await docker(['image', 'rm', v2]).catch(() => '');
  }
  return { repo, floating, fixed, v1, v1Digest };
}

const COMPOSE = (tag: string): string => `services:\n  app:\n    build: .\n    image: ${tag}\n`;

describe('truthful links (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  describe('a base with several tags and no word on which one the build used', () => {
    it('is outdated when one candidate moved, lists every candidate, and no policy acts on it', async () => {
      const base = await twoTagBase(registry, true);
      const project = await writeProject({ Dockerfile: `FROM ${base.floating}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
      const tag = `${uniqueName('multi')}:1`;
      const id = await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      // No Dockerfile under the roots: nothing says which tag (a matching one would, see below).
      const roots = await makeTempDir('no-dockerfiles');

      const image = await check(home, roots, tag);
      assert.equal(image.status, 'outdated', image.reason);
      const candidates = image.base?.candidates ?? [];
      assert.deepEqual(candidates.map((c) => [c.ref, c.status]).sort(), [
        [`${base.floating}`, 'outdated'],
        [`${base.fixed}`, 'current'],
      ]);
      assert.match(image.reason, /:1 moved/);
      assert.match(image.reason, /:1\.2 did not/);
      assert.match(image.reason, new RegExp(`basewatch link ${tag.replace(/[.:]/g, '\\$&')} <its Dockerfile>`));

      const dry = await update(home, roots, tag, true);
      const entry = dry.plan.find((p) => p.image === tag);
      assert.equal(entry?.action.kind, 'report', JSON.stringify(dry.plan));
      assert.match(entry?.why ?? '', /not settled/);

      const real = await update(home, roots, tag, false);
      assert.ok(!real.actions.some((a) => a.kind === 'rebased' || a.kind === 'rebuilt'), JSON.stringify(real.actions));
      assert.equal(await idOf(tag), id, 'the tag did not move');
    });

    it('negative: nothing moved upstream — current, and nothing planned', async () => {
      const base = await twoTagBase(registry, false);
      const project = await writeProject({ Dockerfile: `FROM ${base.floating}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
      const tag = `${uniqueName('multi-same')}:1`;
      await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      // No Dockerfile under the roots: nothing says which tag (a matching one would, see below).
      const roots = await makeTempDir('no-dockerfiles');
      const image = await check(home, roots, tag);
      assert.equal(image.status, 'current', image.reason);
      assert.deepEqual((image.base?.candidates ?? []).map((c) => c.status), ['current', 'current']);
      const dry = await update(home, roots, tag, true);
      assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, 'skip');
    });

    it('a compose service naming the floating tag settles it: outdated, and update rebases onto that tag', async () => {
      const base = await twoTagBase(registry, true);
      const tag = `${uniqueName('multi-compose')}:1`;
      const project = await writeProject({ Dockerfile: `FROM ${base.floating}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n', 'compose.yaml': COMPOSE(tag) });
      await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      const image = await check(home, project, tag);
      assert.equal(image.status, 'outdated', image.reason);
      assert.equal(image.base?.ref, base.floating);
      assert.equal(image.base?.candidates, undefined);
      const dry = await update(home, project, tag, true);
      assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, 'rebase', JSON.stringify(dry.plan));
      const real = await update(home, project, tag, false);
      assert.equal(real.actions.find((a) => a.target === tag)?.kind, 'rebased', JSON.stringify(real.actions));
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/etc/base-version']), 'v2\n');
    });

    it('a compose service naming the fixed tag settles it: current, and nothing moves it to the floating tag', async () => {
      const base = await twoTagBase(registry, true);
      const tag = `${uniqueName('multi-fixed')}:1`;
      const project = await writeProject({ Dockerfile: `FROM ${base.fixed}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n', 'compose.yaml': COMPOSE(tag) });
      const id = await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      const image = await check(home, project, tag);
      assert.equal(image.status, 'current', image.reason);
      assert.equal(image.base?.ref, base.fixed);
      const real = await update(home, project, tag, false);
      assert.deepEqual(real.actions.filter((a) => a.target === tag), []);
      assert.equal(await idOf(tag), id);
    });

    it('a basewatch link record outranks a compose service', async () => {
      const base = await twoTagBase(registry, true);
      const tag = `${uniqueName('multi-link')}:1`;
      // compose (a stale copy) says the floating tag; the linked Dockerfile says the fixed one.
      const project = await writeProject({
        Dockerfile: `FROM ${base.fixed}\nCOPY a.txt /a.txt\n`,
        'a.txt': 'a\n',
        'old/Dockerfile': `FROM ${base.floating}\nCOPY a.txt /a.txt\n`,
        'compose.yaml': `services:\n  app:\n    build:\n      context: .\n      dockerfile: old/Dockerfile\n    image: ${tag}\n`,
      });
      await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      const linked = await runBasewatch(['link', tag, `${project}/Dockerfile`], { home });
      assert.equal(linked.code, 0, linked.stderr);
      const image = await check(home, project, tag);
      assert.equal(image.base?.ref, base.fixed, image.reason);
      assert.equal(image.status, 'current', image.reason);
    });

    it('a Dockerfile under the roots that its history matches names the tag (fixed: current, nothing to do; floating: outdated)', async () => {
      for (const [which, expected] of [['fixed', 'current'], ['floating', 'outdated']] as const) {
        const base = await twoTagBase(registry, true);
        const from = which === 'fixed' ? base.fixed : base.floating;
        const project = await writeProject({ Dockerfile: `FROM ${from}\nCOPY a.txt /a.txt\n`, 'a.txt': `${which}\n` });
        const tag = `${uniqueName(`multi-suggested-${which}`)}:1`;
        await buildImage({ context: project, tag });
        const home = await settings({ minimumAge: '0' });
        const image = await check(home, project, tag);
        assert.equal(image.base?.ref, from, image.reason);
        assert.equal(image.base?.candidates, undefined);
        assert.equal(image.status, expected, image.reason);
        assert.match(image.reason, /its base is named by the FROM of .*Dockerfile, the Dockerfile its history matches/);
      }
    });

    it('after a pull moves the floating tag, the old image keeps only the fixed tag: an earlier check keeps both names in play', async () => {
      const base = await twoTagBase(registry, true);
      const project = await writeProject({ Dockerfile: `FROM ${base.floating}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n' });
      const tag = `${uniqueName('multi-pulled')}:1`;
      const id = await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      // No Dockerfile under the roots: nothing says which tag (a matching one would, see below).
      const roots = await makeTempDir('no-dockerfiles');
      await check(home, roots, tag);
      await docker(['pull', base.floating]);
      const image = await check(home, roots, tag);
      assert.equal(image.base?.localId, base.v1);
      assert.equal(image.status, 'outdated', image.reason);
      assert.deepEqual((image.base?.candidates ?? []).map((c) => c.ref).sort(), [base.floating, base.fixed]);
      const real = await update(home, roots, tag, false);
      assert.ok(!real.actions.some((a) => a.kind === 'rebased'), JSON.stringify(real.actions));
      assert.equal(await idOf(tag), id);
    });
  });

  describe('a Dockerfile that pins its base by digest', () => {
    it('is current with respect to its pin when the tag moves; no action, and the Dockerfile says the pin is behind', async () => {
      const base = await twoTagBase(registry, true);
      const tag = `${uniqueName('pinned')}:1`;
      const project = await writeProject({ Dockerfile: `FROM ${base.floating}@${base.v1Digest}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n', 'compose.yaml': COMPOSE(tag) });
      const id = await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      const image = await check(home, project, tag);
      assert.equal(image.status, 'current', image.reason);
      assert.equal(image.base?.pinned, base.v1Digest);
      assert.match(image.reason, /pinned by its Dockerfile/);
      assert.match(image.reason, /the tag has moved on/);
      const file = image.report.dockerfiles.find((f) => f.path.endsWith('/Dockerfile'));
      assert.equal(file?.bases[0]?.pinned, base.v1Digest);
      assert.equal(file?.bases[0]?.status, 'outdated', 'the pin is behind its tag');
      const dry = await update(home, project, tag, true);
      assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, 'skip');
      const real = await update(home, project, tag, false);
      assert.deepEqual(real.actions.filter((a) => a.target === tag), []);
      assert.equal(await idOf(tag), id);
    });

    it('negative: a pin equal to the tag is current and says nothing moved', async () => {
      const base = await twoTagBase(registry, false);
      const tag = `${uniqueName('pinned-same')}:1`;
      const project = await writeProject({ Dockerfile: `FROM ${base.floating}@${base.v1Digest}\nCOPY a.txt /a.txt\n`, 'a.txt': 'a\n', 'compose.yaml': COMPOSE(tag) });
      await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      const image = await check(home, project, tag);
      assert.equal(image.status, 'current', image.reason);
      assert.doesNotMatch(image.reason, /moved on/);
    });
  });

  describe('base labels', () => {
    it('a base label inherited from the parent image is not taken for the image\'s own', async () => {
      const upstream = `${registry}/${uniqueName('upstream')}:1`;
      await makeBaseImage({ ref: upstream, files: { '/etc/base-version': 'v1\n' } });
      const upstreamDigest = await pushImage(upstream);
      // A company base stamped with its own base labels (as buildah or a basewatch rebase does).
      const corp = `${uniqueName('corp-base')}:1`;
      const corpProject = await writeProject({
        Dockerfile: `FROM ${upstream}\nLABEL org.opencontainers.image.base.name="${upstream}" org.opencontainers.image.base.digest="${upstreamDigest}"\nCOPY corp.txt /corp.txt\n`,
        'corp.txt': 'corp\n',
      });
      const corpId = await buildImage({ context: corpProject, tag: corp });
      // The app inherits those labels from FROM corp; they describe corp's base, not the app's.
      const project = await writeProject({ Dockerfile: `FROM ${corp}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
      const tag = `${uniqueName('inherits')}:1`;
      await buildImage({ context: project, tag });
      const home = await settings({});
      const image = await check(home, project, tag);
      assert.equal(image.base?.localId, corpId, JSON.stringify(image.base));
      assert.equal(image.base?.via, 'layers');
      const corpImage = await check(home, project, corp);
      assert.equal(corpImage.base?.ref, upstream, 'the company base\'s own labels still count for it');
      assert.equal(corpImage.base?.via, 'label');
    });
  });

  describe('chains: upstream → company base → app', () => {
    /** Upstream `:1` at v1 locally; with `moved`, v2 is published under the same tag. */
    async function upstreamBase(moved: boolean) {
      const ref = `${registry}/${uniqueName('chain-up')}:1`;
      const v1 = await makeBaseImage({ ref, files: { '/etc/base-version': 'v1\n' } });
      await pushImage(ref);
      if (moved) {
        const v2 = await makeBaseImage({ ref, files: { '/etc/base-version': 'v2\n', '/etc/patched': 'yes\n' } });
        await pushImage(ref);
        await docker(['tag', v1, ref]);
        await docker(['image', 'rm', v2]).catch(() => '');
      }
      return ref;
    }

    /** A company base (built here, never pushed) and an app on it, each with its compose service. */
    async function chain(moved: boolean) {
      const upstream = await upstreamBase(moved);
      const corp = `${uniqueName('chain-corp')}:1`;
      const app = `${uniqueName('chain-app')}:1`;
      const project = await writeProject({
        'corp/Dockerfile': `FROM ${upstream}\nCOPY corp.txt /corp.txt\n`,
        'corp/corp.txt': 'corp\n',
        'app/Dockerfile': `FROM ${corp}\nCOPY app.txt /app.txt\n`,
        'app/app.txt': 'app\n',
        'compose.yaml': `services:\n  corp:\n    build: ./corp\n    image: ${corp}\n  app:\n    build: ./app\n    image: ${app}\n`,
      });
      const corpId = await buildImage({ context: `${project}/corp`, tag: corp });
      const appId = await buildImage({ context: `${project}/app`, tag: app });
      return { upstream, corp, app, project, corpId, appId };
    }

    it('a dependent is outdated through its base, and one update rebases the base and then rebuilds the app on it, in order', async () => {
      const c = await chain(true);
      const home = await settings({ minimumAge: '0' });
      const app = await check(home, c.project, c.app);
      assert.equal(app.status, 'outdated', app.reason);
      assert.equal(app.base?.localId, c.corpId);
      assert.match(app.reason, new RegExp(`waits on ${c.corp.replace(/[.:]/g, '\\$&')}, which is behind`));
      const corp = await check(home, c.project, c.corp);
      assert.equal(corp.status, 'outdated', corp.reason);

      const dryRun = await runBasewatch(['update', '--json', '--dry-run', '--root', c.project, c.corp, c.app], { home });
      const planned = parse<CycleJson>(dryRun, 'update --dry-run').plan.map((p) => [p.image, p.action.kind]);
      assert.deepEqual(planned, [[c.corp, 'rebase'], [c.app, 'rebuild']], 'the base first, then the app on it');
      const result = await runBasewatch(['update', '--json', '--root', c.project, c.corp, c.app], { home });
      const cycle = parse<CycleJson>(result, 'update');
      const order = cycle.actions.map((a) => [a.target, a.kind]);
      assert.deepEqual(order, [[c.corp, 'rebased'], [c.app, 'rebuilt']], JSON.stringify(cycle.actions));
      assert.equal(await docker(['run', '--rm', c.app, 'cat', '/etc/base-version', '/corp.txt', '/app.txt']), 'v2\ncorp\napp\n');
      assert.notEqual(await idOf(c.app), c.appId);
      const after = await check(home, c.project, c.app);
      assert.equal(after.status, 'current', JSON.stringify(after.report.images, null, 1));
    });

    it('negative: nothing moved upstream — the chain is current and nothing is done', async () => {
      const c = await chain(false);
      const home = await settings({ minimumAge: '0' });
      const app = await check(home, c.project, c.app);
      assert.equal(app.status, 'current', app.reason);
      assert.match(app.reason, /as built here \(never pushed/);
      const result = await runBasewatch(['update', '--json', '--root', c.project, c.corp, c.app], { home });
      const cycle = parse<CycleJson>(result, 'update');
      assert.deepEqual(cycle.actions, []);
      assert.equal(await idOf(c.app), c.appId);
    });

    it('a dependent is not rebuilt when its base could not be updated, and says why', async () => {
      const c = await chain(true);
      const home = await settings({ minimumAge: '0', policies: JSON.stringify([{ image: c.corp, policy: 'notify' }]) });
      const result = await runBasewatch(['update', '--json', '--root', c.project, c.corp, c.app], { home });
      const cycle = parse<CycleJson>(result, 'update');
      const appAction = cycle.actions.find((a) => a.target === c.app);
      assert.equal(appAction?.kind, 'skipped', JSON.stringify(cycle.actions));
      assert.match(appAction?.reason ?? '', new RegExp(`waits on ${c.corp.replace(/[.:]/g, '\\$&')}, which was not updated \\(reported: `));
      assert.equal(await idOf(c.app), c.appId);
    });
  });

  describe('never downgrade', () => {
    it('a company base rebuilt here and newer than its registry copy: the app is compared through it, and a rebase onto the registry copy is refused', async () => {
      const upstream = `${registry}/${uniqueName('dg-up')}:1`;
      await makeBaseImage({ ref: upstream, files: { '/etc/base-version': 'v1\n' } });
      await pushImage(upstream);
      const corp = `${registry}/${uniqueName('dg-corp')}:1`;
      const corpProject = await writeProject({ Dockerfile: `FROM ${upstream}\nCOPY corp.txt /corp.txt\n`, 'corp.txt': 'corp v1\n' });
      await buildImage({ context: corpProject, tag: corp });
      await pushImage(corp);
      // Rebuilt here with a change, a second later, and not pushed: the registry holds the older copy.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const newerProject = await writeProject({ Dockerfile: `FROM ${upstream}\nCOPY corp.txt /corp.txt\n`, 'corp.txt': 'corp v2\n' });
      const localCorp = await buildImage({ context: newerProject, tag: corp });
      const project = await writeProject({ Dockerfile: `FROM ${corp}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
      const tag = `${uniqueName('dg-app')}:1`;
      const appId = await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });

      const image = await check(home, project, tag);
      assert.equal(image.base?.localId, localCorp);
      assert.equal(image.status, 'current', image.reason);
      assert.doesNotMatch(image.reason, /compared by config/);

      const rebase = await runBasewatch(['rebase', '--json', '--root', project, '--to', corp, tag], { home });
      const outcome = parse<{ status: string; reasons: string[] }>(rebase, 'rebase');
      assert.equal(outcome.status, 'refused', JSON.stringify(outcome));
      assert.match(outcome.reasons.join('\n'), /is newer than the registry's copy .* not an ancestor of it: moving onto the registry's would be a downgrade; push/);
      assert.equal(await idOf(tag), appId);
      assert.equal(await idOf(corp), localCorp, 'the local company base is left as it is');
    });

    it('negative: a registry copy that is newer (a real patch) is rebased onto', async () => {
      const upstream = `${registry}/${uniqueName('dg2-up')}:1`;
      const v1 = await makeBaseImage({ ref: upstream, files: { '/etc/base-version': 'v1\n' } });
      await pushImage(upstream);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const v2 = await makeBaseImage({ ref: upstream, files: { '/etc/base-version': 'v2\n' } });
      await pushImage(upstream);
      await docker(['tag', v1, upstream]);
      await docker(['image', 'rm', v2]).catch(() => '');
      const project = await writeProject({ Dockerfile: `FROM ${upstream}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
      const tag = `${uniqueName('dg2-app')}:1`;
      await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      const rebase = await runBasewatch(['rebase', '--json', '--root', project, tag], { home });
      const outcome = parse<{ status: string; reasons: string[] }>(rebase, 'rebase');
      assert.equal(outcome.status, 'rebased', JSON.stringify(outcome));
    });
  });

  describe('copy sources', () => {
    /** An image published as `:1` (v1, local) and, with `moved`, republished upstream as v2. */
    async function source(moved: boolean) {
      const ref = `${registry}/${uniqueName('copysrc')}:1`;
      // Its own content: builds that copy it must not share a build cache entry with another test's.
      const v1 = await makeBaseImage({ ref, files: { '/srv/tool': 'tool v1\n', '/srv/name': `${ref}\n` } });
      await pushImage(ref);
      if (moved) {
        const v2 = await makeBaseImage({ ref, files: { '/srv/tool': 'tool v2\n' } });
        await pushImage(ref);
        await docker(['tag', v1, ref]);
        await docker(['image', 'rm', v2]).catch(() => '');
      }
      return ref;
    }

    it('a moved COPY --from image makes the image outdated, and update rebuilds it (never rebases)', async () => {
      const base = await twoTagBase(registry, false);
      const src = await source(true);
      const tag = `${uniqueName('copier')}:1`;
      const project = await writeProject({ Dockerfile: `FROM ${base.fixed}\nCOPY --from=${src} /srv/tool /srv/tool\n`, 'compose.yaml': COMPOSE(tag) });
      await buildImage({ context: project, tag });
      const home = await settings({ minimumAge: '0' });
      const image = await check(home, project, tag);
      assert.equal(image.status, 'outdated', image.reason);
      assert.match(image.reason, /copies from .*copysrc.*, which moved upstream: only a rebuild picks that up/);
      const dry = await update(home, project, tag, true);
      assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, 'rebuild', JSON.stringify(dry.plan));
      const real = await update(home, project, tag, false);
      assert.equal(real.actions.find((a) => a.target === tag)?.kind, 'rebuilt', JSON.stringify(real.actions));
      assert.equal(await docker(['run', '--rm', tag, 'cat', '/srv/tool']), 'tool v2\n');
    });

    it('an image built FROM scratch is not unlinked: its copy source is its base (and negative: nothing moved, current)', async () => {
      for (const moved of [true, false]) {
        const src = await source(moved);
        const tag = `${uniqueName('scratchy')}:1`;
        const project = await writeProject({ Dockerfile: `FROM scratch\nCOPY --from=${src} /srv/name /name\n`, 'compose.yaml': COMPOSE(tag) });
        await buildImage({ context: project, tag });
        const home = await settings({ minimumAge: '0' });
        const image = await check(home, project, tag);
        assert.equal(image.status, moved ? 'outdated' : 'current', image.reason);
        const dry = await update(home, project, tag, true);
        assert.equal(dry.plan.find((p) => p.image === tag)?.action.kind, moved ? 'rebuild' : 'skip', JSON.stringify(dry.plan));
      }
    });
  });
});
