// `basewatch doctor` names the engine's image store: it decides how a rebase loads its result.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modernEngineHost, modernEngineSkip, runBasewatch, skipWithoutWorld } from './helpers/world.js';

describe('doctor (real engines)', () => {
  it('names the classic image store of the primary engine', { skip: skipWithoutWorld() }, async () => {
    const result = await runBasewatch(['doctor']);
    assert.match(result.stdout, /engine .*Docker [\d.]+.*, classic image store/);
  });

  it('names the containerd image store of Engine 28 with it switched on, and the classic one without', { skip: modernEngineSkip() }, async () => {
    const containerd = await runBasewatch(['doctor'], { env: { DOCKER_HOST: modernEngineHost('containerd') } });
    assert.match(containerd.stdout, /engine .*Docker 28\.[\d.]+.*, containerd image store/);
    const classic = await runBasewatch(['doctor'], { env: { DOCKER_HOST: modernEngineHost('classic') } });
    assert.match(classic.stdout, /engine .*Docker 28\.[\d.]+.*, classic image store/);
  });
});
