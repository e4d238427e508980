// The progress line on a real terminal: basewatch run in a pseudo-terminal 80 columns wide
// (util-linux `script`) against the real engine and registry, its raw bytes read as a person's
// terminal would show them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  buildImage,
  getWorld,
  makeTempDir,
  runBasewatch,
  runBasewatchInTerminal,
  skipWithoutWorld,
  uniqueName,
  writeProject,
} from './helpers/world.js';
import { patchedBase } from './helpers/patched-base.js';

const REWRITE = '\r\u001b[K';
const COLUMNS = 80;

/** Each state of the rewritten line, in order: the text after each carriage return and erase. */
function lineStates(terminal: string): string[] {
  return terminal.split(REWRITE).slice(1);
}

/** The rewritten lines fit the terminal, none runs onto a new line, and the last leaves it empty. */
function assertTidy(terminal: string): void {
  const states = lineStates(terminal);
  assert.ok(states.length > 0, `no progress line: ${JSON.stringify(terminal)}`);
  for (const state of states) {
    assert.ok(!state.includes('\n'), `a progress line ran onto a new line: ${JSON.stringify(state)}`);
    assert.ok(Array.from(state).length < COLUMNS, `wider than ${COLUMNS} columns: ${JSON.stringify(state)}`);
  }
  assert.equal(states.at(-1), '', `the line is not cleared at the end: ${JSON.stringify(states.at(-1))}`);
}

describe('the progress line in a terminal (real engine and registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  before(() => {
    registry = getWorld()?.registry ?? '';
  });

  it('check counts images read and registry answers, rebase megabytes exported and loaded; all in 80 columns, cleared at the end', async () => {
    const base = await patchedBase(registry);
    // 3 MB of app layer, so the byte counts have something to count.
    const project = await writeProject({
      Dockerfile: [`FROM ${base.baseRef}`, 'COPY blob /srv/blob', ''].join('\n'),
      blob: randomBytes(3_000_000),
    });
    // A long name: the pull line that names it with its digest is wider than the terminal.
    const tag = `${uniqueName('progress-with-a-rather-long-repository-name')}:1`;
    await buildImage({ context: project, tag });
    const home = await makeTempDir('home');

    const check = await runBasewatchInTerminal(['check', tag], { home, columns: COLUMNS });
    assert.equal(check.code, 0, check.terminal + check.stdout);
    assertTidy(check.terminal);
    const states = lineStates(check.terminal);
    const images = states.map((state) => /^reading images (\d+)\/(\d+)$/.exec(state)).filter((m) => m !== null);
    assert.ok(images.length > 0, states.join(' | '));
    const last = images.at(-1) as RegExpExecArray;
    assert.equal(last[1], last[2], 'the count reaches the total');
    assert.ok(Number(last[2]) >= 2, `at least the app and its base: ${last[0]}`);
    const answers = states.map((state) => /^asking registries (\d+)\/(\d+)$/.exec(state)).filter((m) => m !== null);
    assert.ok(answers.length > 0, states.join(' | '));
    assert.equal((answers.at(-1) as RegExpExecArray)[1], (answers.at(-1) as RegExpExecArray)[2]);
    assert.match(check.stdout, /outdated/, 'the report went to stdout, not to the terminal');

    const rebase = await runBasewatchInTerminal(['rebase', tag], { home, columns: COLUMNS });
    assert.equal(rebase.code, 0, rebase.terminal + rebase.stdout);
    assertTidy(rebase.terminal);
    const steps = lineStates(rebase.terminal);
    const exported = steps.map((state) => /^exporting the image (\d+)\/(\d+) MB$/.exec(state)).filter((m) => m !== null);
    assert.ok(exported.length > 0, steps.join(' | '));
    // The whole image is exported: its base and the 3 MB app layer, counted as they stream.
    const [, done, total] = exported.at(-1) as RegExpExecArray;
    assert.equal(done, total, (exported.at(-1) as RegExpExecArray)[0]);
    assert.ok(Number(total) >= 3, (exported.at(-1) as RegExpExecArray)[0]);
    const loaded = steps.map((state) => /^loading the rebased image (\d+)(?:\/(\d+))? MB$/.exec(state)).filter((m) => m !== null);
    assert.ok(loaded.length > 0, steps.join(' | '));
    assert.ok(Number((loaded.at(-1) as RegExpExecArray)[1]) >= 3, (loaded.at(-1) as RegExpExecArray)[0]);
    assert.ok(steps.some((state) => state.startsWith('pulling ') && state.endsWith('…')), `the long pull line is cut to fit: ${steps.join(' | ')}`);
    assert.match(rebase.stdout, /rebased/i);
  });

  it('update shows the counts of its check, then the bytes of its rebase, named by image', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({ Dockerfile: `FROM ${base.baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'app\n' });
    const tag = `${uniqueName('progress-update')}:1`;
    await buildImage({ context: project, tag });
    const home = await makeTempDir('home');
    const config = await runBasewatch(['config', 'set', 'minimumAge', '0'], { home });
    assert.equal(config.code, 0, config.stderr);

    const update = await runBasewatchInTerminal(['update', '--no-daemon', '--root', project, tag], { home, columns: COLUMNS });
    assert.equal(update.code, 0, update.terminal + update.stdout);
    assertTidy(update.terminal);
    const states = lineStates(update.terminal);
    assert.ok(states.some((state) => /^reading images \d+\/\d+$/.test(state)), states.join(' | '));
    assert.ok(states.some((state) => /^asking registries \d+\/\d+$/.test(state)), states.join(' | '));
    assert.ok(states.some((state) => state.startsWith(`${tag}: exporting the image `) && / \d+\/\d+ MB$/.test(state)), states.join(' | '));
    assert.match(update.stdout, /rebased/);
  });

  it('rebuild counts build steps', async () => {
    const base = await patchedBase(registry);
    const project = await writeProject({
      Dockerfile: [`FROM ${base.baseRef}`, 'RUN echo one > /one', 'RUN echo two > /two', ''].join('\n'),
    });
    const tag = `${uniqueName('progress-build')}:1`;
    await buildImage({ context: project, tag });
    const home = await makeTempDir('home');
    const linked = await runBasewatch(['link', tag, `${project}/Dockerfile`], { home });
    assert.equal(linked.code, 0, linked.stderr);

    const rebuild = await runBasewatchInTerminal(['rebuild', tag], { home, columns: COLUMNS });
    assert.equal(rebuild.code, 0, rebuild.terminal + rebuild.stdout);
    assertTidy(rebuild.terminal);
    const steps = lineStates(rebuild.terminal).map((state) => /^build step (\d+)\/(\d+): /.exec(state)).filter((m) => m !== null);
    // The Dockerfile's 3 steps, and what the rebuild's build adds (its base labels).
    const total = Number(steps[0]?.[2]);
    assert.ok(total >= 3, steps.map((m) => m[0]).join(' | '));
    assert.deepEqual(
      steps.map((m) => `${m[1]}/${m[2]}`),
      Array.from({ length: total }, (_, index) => `${index + 1}/${total}`),
    );
  });

  it('with stderr not a terminal, or --json, nothing of it is printed', async () => {
    const tag = `${uniqueName('progress-quiet')}:1`;
    const base = await patchedBase(registry);
    await buildImage({ context: await writeProject({ Dockerfile: `FROM ${base.baseRef}\n` }), tag });
    const piped = await runBasewatch(['check', tag]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.ok(!piped.stderr.includes('\r') && !/reading images|asking registries/.test(piped.stderr), JSON.stringify(piped.stderr));
    const json = await runBasewatchInTerminal(['check', '--json', tag], { columns: COLUMNS });
    assert.equal(json.code, 0, json.terminal);
    assert.equal(json.terminal, '', 'nothing on the terminal beside the JSON');
    assert.ok(JSON.parse(json.stdout));
  });
});
