import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolvePaths } from './paths.js';

const base = { platform: 'linux' as NodeJS.Platform, homedir: '/home/u', uid: 1000, tmpdir: '/tmp' };

describe('resolvePaths', () => {
  it('puts everything under BASEWATCH_HOME when set', () => {
    const p = resolvePaths({ ...base, env: { BASEWATCH_HOME: '/x/bw', XDG_STATE_HOME: '/ignored' } });
    assert.deepEqual(p, {
      config: '/x/bw/config',
      state: '/x/bw/state',
      cache: '/x/bw/cache',
      runtime: '/x/bw/run',
      logs: '/x/bw/logs',
      source: 'BASEWATCH_HOME',
    });
  });

  it('follows XDG on Linux and ignores relative XDG values', () => {
    const p = resolvePaths({
      ...base,
      env: { XDG_CONFIG_HOME: '/c', XDG_STATE_HOME: 'relative', XDG_RUNTIME_DIR: '/run/user/1000' },
    });
    assert.equal(p.config, '/c/basewatch');
    assert.equal(p.state, '/home/u/.local/state/basewatch');
    assert.equal(p.cache, '/home/u/.cache/basewatch');
    assert.equal(p.runtime, '/run/user/1000/basewatch');
    assert.equal(p.source, 'platform');
  });

  it('keeps the runtime folder private when there is no XDG_RUNTIME_DIR', () => {
    assert.equal(resolvePaths({ ...base, env: {} }).runtime, '/home/u/.local/state/basewatch/run');
  });

  it('uses ~/Library on macOS', () => {
    const p = resolvePaths({ ...base, platform: 'darwin', homedir: '/Users/u', env: {} });
    assert.equal(p.state, '/Users/u/Library/Application Support/basewatch');
    assert.equal(p.logs, '/Users/u/Library/Logs/basewatch');
    assert.equal(p.runtime, '/tmp/basewatch-1000');
  });
});
