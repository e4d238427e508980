// `basewatch update` against the real engine and registry: one cycle acting per policy, and
// each guard (minimumAge, ignore, notify, --dry-run, smokeTest) leaving things alone.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { patchedBase } from './helpers/patched-base.js';
import { buildImage, docker, getWorld, makeTempDir, runBasewatch, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

interface Cycle {
  actions: Array<{ target: string; kind: string; reason: string; packages: string | null; newImageId: string | null }>;
  plan: Array<{ image: string; action: { kind: string }; why: string }>;
  dryRun: boolean;
}

async function idOf(ref: string): Promise<string> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

/** An app on a base that was patched upstream; settings applied in a fresh BASEWATCH_HOME. */
async function outdatedApp(registry: string, settings: Record<string, string>) {
  const base = await patchedBase(registry);
  const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY hello.txt /hello.txt\n`, 'hello.txt': 'hi\n' });
  const tag = `${uniqueName('upd')}:1`;
  const id = await buildImage({ context: project, tag });
  const home = await makeTempDir('update-home');
  for (const [key, value] of Object.entries(settings)) {
    const set = await runBasewatch(['config', 'set', key, value], { home });
    assert.equal(set.code, 0, set.stderr);
  }
  return { base, project, tag, id, home };
}

async function update(home: string, args: string[]): Promise<{ code: number | null; cycle: Cycle; stdout: string }> {
  const result = await runBasewatch(['update', '--json', ...args], { home });
  try {
    return { code: result.code, cycle: JSON.parse(result.stdout) as Cycle, stdout: result.stdout };
  } catch {
    return assert.fail(`update printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
}

describe('basewatch update (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('rebases an outdated image under the default policy once minimumAge allows', async () => {
    const app = await outdatedApp(registry, { minimumAge: '0' });
    const { code, cycle } = await update(app.home, ['--root', app.project, app.tag]);
    assert.equal(code, 0, JSON.stringify(cycle.actions));
    assert.equal(cycle.actions.length, 1);
    assert.equal(cycle.actions[0]?.kind, 'rebased');
    assert.match(cycle.actions[0]?.packages ?? '', /openssl/);
    assert.equal(await idOf(app.tag), cycle.actions[0]?.newImageId);
    assert.equal(await docker(['run', '--rm', app.tag, 'cat', '/etc/base-version']), 'v2\n');
  });

  for (const [guard, settings, args, expectedWhy] of [
    ['minimumAge', { minimumAge: '1h' }, [], /waiting until it is 1h old \(minimumAge\)/],
    ['ignore', { minimumAge: '0', ignore: 'upd-*' }, [], /ignored \(ignore: upd-\*\)/],
    ['the notify policy', { minimumAge: '0', policy: 'notify' }, [], /default policy notify/],
    ['--dry-run', { minimumAge: '0' }, ['--dry-run'], /default policy auto/],
  ] as const) {
    it(`leaves the image alone under ${guard}`, async () => {
      const app = await outdatedApp(registry, settings);
      const { code, cycle, stdout } = await update(app.home, ['--root', app.project, ...args, app.tag]);
      assert.equal(code, 0, stdout);
      assert.equal(await idOf(app.tag), app.id, 'the tag did not move');
      const entry = cycle.plan.find((p) => p.image === app.tag);
      assert.ok(entry && expectedWhy.test(entry.why), JSON.stringify(cycle.plan));
      assert.ok(!cycle.actions.some((a) => a.kind === 'rebased' || a.kind === 'rebuilt'));
      await assert.rejects(docker(['image', 'inspect', app.base.newBaseId]), 'nothing was pulled');
      if (guard === '--dry-run') {
        const human = await runBasewatch(['update', '--dry-run', '--root', app.project, app.tag], { home: app.home });
        assert.match(human.stdout, /Plan \(dry run: nothing was changed\)/);
        assert.match(human.stdout, new RegExp(`${app.tag.replace(/[.:]/g, '\\$&')}\\s.*rebase \\(report if not safe\\)`));
      }
    });
  }

  it('keeps the tags where they were when the smoke test fails', async () => {
    const app = await outdatedApp(registry, { minimumAge: '0', smokeTest: 'grep -q v1 /etc/base-version' });
    const { code, cycle } = await update(app.home, ['--root', app.project, app.tag]);
    assert.equal(code, 7);
    assert.equal(cycle.actions[0]?.kind, 'failed');
    assert.match(cycle.actions[0]?.reason ?? '', /the smoke test `grep -q v1 \/etc\/base-version` exited 1/);
    assert.equal(await idOf(app.tag), app.id);
    assert.equal(await docker(['run', '--rm', app.tag, 'cat', '/etc/base-version']), 'v1\n');
  });

  it('refuses a bad setting by name and form, changing nothing', async () => {
    const home = await makeTempDir('update-config');
    const bad = await runBasewatch(['config', 'set', 'minimumAge', 'soon'], { home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /minimumAge: expected a duration such as 0, 30m, 1h or 2d \(got "soon"\)/);
    const shown = await runBasewatch(['config', 'get', 'minimumAge'], { home });
    assert.equal(shown.stdout, '1h\n');
  });
});
