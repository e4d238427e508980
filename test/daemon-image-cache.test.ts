// The daemon keeps what it learned about each image ID for its life: its second cycle asks the
// engine about no image its first cycle already inspected, and still links them as before.
// Engine requests are counted by a forwarding socket in front of the engine's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { askDaemon } from '../src/daemon/control-client.js';
import type { CycleResult } from '../src/record/cycle-result.js';
import { countingSocket, inspected } from './helpers/counting-socket.js';
import { type Daemon, daemonHome, killDaemon, runtimeOf, startDaemon, waitUntilIdle } from './helpers/daemon.js';
import { buildImage, getWorld, makeBaseImage, makeTempDir, skipWithoutWorld, uniqueName, writeProject } from './helpers/world.js';

const world = getWorld();
const unixEngine = world?.dockerHost.startsWith('unix://') ? world.dockerHost.slice('unix://'.length) : null;

describe('daemon image cache (real engine)', { skip: skipWithoutWorld() || (unixEngine === null ? 'the test engine is not a unix socket' : false) }, () => {
  let counter: Awaited<ReturnType<typeof countingSocket>>;
  let daemon: Daemon | undefined;
  let home = '';
  let baseRef = '';
  let tag = '';

  before(async () => {
    counter = await countingSocket(unixEngine ?? '', await makeTempDir('daemon-facts'));
    baseRef = `${world?.registry}/${uniqueName('dfactsbase')}:1`;
    await makeBaseImage({ ref: baseRef });
    const project = await writeProject({ Dockerfile: `FROM ${baseRef}\nCOPY app.txt /app.txt\n`, 'app.txt': 'one\n' });
    tag = `${uniqueName('dfacts')}:1`;
    await buildImage({ context: project, tag });
    home = await daemonHome('daemon-facts-home', [project]);
  });

  after(async () => {
    await killDaemon(daemon);
    await counter?.close();
  });

  it('a second cycle inspects no image the first one saw, and links them the same', async () => {
    daemon = startDaemon(home, { DOCKER_HOST: `unix://${counter.path}` });
    await waitUntilIdle(home, 1, daemon);
    const first = inspected(counter.requests);
    counter.requests.length = 0;

    const result = (await askDaemon(runtimeOf(home), { kind: 'cycle', images: [], reason: 'test' })) as CycleResult;
    assert.equal(result.trigger.kind, 'cli');
    const app = result.report.images.find((image) => image.tags.includes(tag));
    assert.ok(app !== undefined, 'the second cycle reports the app');
    assert.ok(first.has(app.id), 'the startup cycle inspected the app');
    assert.equal(app.base?.ref, baseRef, JSON.stringify(app.base));
    const askedAgain = [...inspected(counter.requests)].filter((id) => first.has(id));
    assert.deepEqual(askedAgain, [], `images the first cycle inspected are not inspected again:\n${counter.requests.join('\n')}`);
    assert.ok(counter.requests.some((line) => /^GET (\/v[\d.]+)?\/images\/json[? ]/.test(line)), 'it still lists the engine\'s images (names move)');
    process.stdout.write(`# engine requests: startup cycle inspected ${first.size} images, the second ${inspected(counter.requests).size}\n`);
  });
});
