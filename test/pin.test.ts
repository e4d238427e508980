// `basewatch pin` and updatePins against the real registry of the test world: a table of
// Dockerfiles pinned byte for byte, twice; a moved tag makes a pin stale and updatePins fixes it.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { CliIo } from '../src/cli/cli-io.js';
import { runPinCommand } from '../src/cli/pin-command.js';
import { registryPinResolver, updatePins } from '../src/act/pin/update-pins.js';
import { createRegistryClient } from '../src/registry/registry-client.js';
import { getWorld, makeTempDir, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';
import { pushImage, pushMultiArch } from './registry-content.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function pin(args: { targets: string[]; dryRun?: boolean; json?: boolean }, home: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => ((stdout += text), true) } as unknown as CliIo['stdout'],
    stderr: { write: (text: string) => ((stderr += text), true) } as unknown as CliIo['stderr'],
    env: { ...process.env, BASEWATCH_HOME: home, NO_COLOR: '1' },
    cwd: home,
  };
  const code = await runPinCommand({ targets: args.targets, dryRun: args.dryRun ?? false, json: args.json ?? false }, io);
  return { code, stdout, stderr };
}

describe('basewatch pin (real registry)', { skip: skipWithoutWorld() }, () => {
  let registry = '';
  let base = '';
  let tool = '';
  let multi = '';
  const digests = { base: '', tool: '', multi: '' };

  before(async () => {
    registry = getWorld()?.registry ?? '';
    const pusher = { url: `http://${registry}` };
    const prefix = uniqueName('pin');
    base = `${registry}/${prefix}/base:1`;
    tool = `${registry}/${prefix}/tool:2`;
    multi = `${registry}/${prefix}/multi:3`;
    digests.base = (await pushImage(pusher, `${prefix}/base`, '1', { seed: `${prefix} base v1` })).digest;
    digests.tool = (await pushImage(pusher, `${prefix}/tool`, '2', { seed: `${prefix} tool` })).digest;
    // A multi-arch tag is pinned to its index digest, as `docker pull` records it.
    digests.multi = (await pushMultiArch(pusher, `${prefix}/multi`, '3', { amd64: `${prefix}-a`, arm64: `${prefix}-b`, armv7: `${prefix}-c` })).index.digest;
  });

  const stale = `sha256:${'0'.repeat(64)}`;
  /** [folder, content before, content after]; the images are filled in once the registry is known. */
  const cases = (): Array<[string, string, string]> => [
    ['plain', `FROM ${base}\nRUN true\n`, `FROM ${base}@${digests.base}\nRUN true\n`],
    ['arg', `ARG BASE=${base}\nFROM \${BASE} AS app\n`, `ARG BASE=${base}@${digests.base}\nFROM \${BASE} AS app\n`],
    ['crlf', `# comment\r\nFROM   ${base}   AS  x\r\nRUN  echo  hi\r\n`, `# comment\r\nFROM   ${base}@${digests.base}   AS  x\r\nRUN  echo  hi\r\n`],
    ['bom', `\uFEFFFROM ${base}\n`, `\uFEFFFROM ${base}@${digests.base}\n`],
    [
      'multi-stage',
      `# syntax=docker/dockerfile:1\nFROM ${tool} AS tools\nFROM ${base} AS build\nCOPY --from=tools /bin/x /bin/x\nCOPY --from=${tool} /bin/y /bin/y\n# final\nFROM build\n`,
      `# syntax=docker/dockerfile:1\nFROM ${tool}@${digests.tool} AS tools\nFROM ${base}@${digests.base} AS build\nCOPY --from=tools /bin/x /bin/x\nCOPY --from=${tool}@${digests.tool} /bin/y /bin/y\n# final\nFROM build\n`,
    ],
    ['multi-arch', `FROM ${multi}\n`, `FROM ${multi}@${digests.multi}\n`],
    ['pinned', `FROM ${base}@${digests.base}\n`, `FROM ${base}@${digests.base}\n`],
    ['stale', `FROM ${base}@${stale}\n`, `FROM ${base}@${digests.base}\n`],
  ];

  it('pins a table of Dockerfiles byte for byte; a second run changes nothing', async () => {
    const files: Record<string, string> = {};
    for (const [name, input] of cases()) files[`${name}/Dockerfile`] = input;
    const root = await writeProject(files);
    const home = await makeTempDir('home');
    await fs.chmod(join(root, 'plain', 'Dockerfile'), 0o644);

    const dry = await pin({ targets: [root], dryRun: true }, home);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.match(dry.stdout, /Dry run: 7 Dockerfiles would change; nothing was written\./);
    for (const [name, input] of cases()) assert.equal(await fs.readFile(join(root, name, 'Dockerfile'), 'utf8'), input, `${name} untouched by --dry-run`);

    const first = await pin({ targets: [root] }, home);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    for (const [name, , expected] of cases()) assert.equal(await fs.readFile(join(root, name, 'Dockerfile'), 'utf8'), expected, name);
    assert.match(first.stdout, new RegExp(`line 1: ${base.replace(/[.]/g, '\\.')}@${stale} → ${base.replace(/[.]/g, '\\.')}@${digests.base}`));
    assert.equal((await fs.stat(join(root, 'plain', 'Dockerfile'))).mode & 0o777, 0o644, 'the file keeps its mode');

    const second = await pin({ targets: [root], json: true }, home);
    assert.equal(second.code, 0, second.stderr);
    const report = JSON.parse(second.stdout) as { dryRun: boolean; files: Array<{ file: string; changes: unknown[]; written: boolean }> };
    assert.equal(report.files.length, cases().length);
    assert.ok(report.files.every((file) => file.changes.length === 0 && !file.written), second.stdout);
    for (const [name, , expected] of cases()) assert.equal(await fs.readFile(join(root, name, 'Dockerfile'), 'utf8'), expected, `${name} after the second run`);
  });

  it('pins one named file of any name, and says which images it cannot pin (exit 4) or look up (exit 5)', async () => {
    const root = await writeProject({
      'build.docker': `FROM ${base}\n`,
      'mixed/Dockerfile': `ARG TAG=1\nFROM ${base.replace(/:1$/, ':${TAG}')}\n`,
      'missing/Dockerfile': `FROM ${registry}/${uniqueName('nothing')}/here:1\n`,
    });
    const home = await makeTempDir('home');
    const named = await pin({ targets: [join(root, 'build.docker')] }, home);
    assert.equal(named.code, 0, named.stdout);
    assert.equal(await fs.readFile(join(root, 'build.docker'), 'utf8'), `FROM ${base}@${digests.base}\n`);

    const mixed = await pin({ targets: [join(root, 'mixed')] }, home);
    assert.equal(mixed.code, 4, mixed.stdout);
    assert.match(mixed.stdout, /line 2: .* is assembled from ARGs/);
    const missing = await pin({ targets: [join(root, 'missing')] }, home);
    assert.equal(missing.code, 5, missing.stdout);
    assert.match(missing.stdout, new RegExp(`line 1: cannot pin .*: ${registry}: 404 `));
  });

  it('a moved tag makes the pin stale, and updatePins moves it to the new digest', async (t) => {
    const prefix = uniqueName('moving');
    const pusher = { url: `http://${registry}` };
    const v1 = await pushImage(pusher, `${prefix}/base`, '1', { seed: `${prefix} v1` });
    const image = `${registry}/${prefix}/base:1`;
    const root = await writeProject({ Dockerfile: `ARG BASE=${image}\r\nFROM \${BASE}\r\n` });
    const file = join(root, 'Dockerfile');
    const client = createRegistryClient();
    t.after(() => client.close());
    const resolve = registryPinResolver(client);

    const pinned = await updatePins(file, resolve);
    assert.deepEqual(pinned.changes.map((c) => [c.line, c.to, c.previous]), [[1, `${image}@${v1.digest}`, null]]);
    assert.equal(await fs.readFile(file, 'utf8'), `ARG BASE=${image}@${v1.digest}\r\nFROM \${BASE}\r\n`);
    assert.deepEqual((await updatePins(file, resolve)).changes, []);

    // Upstream republishes the tag: the pin is now stale.
    const v2 = await pushImage(pusher, `${prefix}/base`, '1', { seed: `${prefix} v2` });
    assert.notEqual(v2.digest, v1.digest);
    const check = await updatePins(file, resolve, { dryRun: true });
    assert.deepEqual(check.changes.map((c) => [c.previous, c.to]), [[v1.digest, `${image}@${v2.digest}`]]);
    assert.equal(check.written, false);
    // What the daemon's `pin` policy calls: only existing pins move.
    const updated = await updatePins(file, resolve, { onlyPinned: true });
    assert.equal(updated.written, true);
    assert.equal(await fs.readFile(file, 'utf8'), `ARG BASE=${image}@${v2.digest}\r\nFROM \${BASE}\r\n`);
  });
});
