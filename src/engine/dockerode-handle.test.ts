import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createDockerode } from './dockerode-handle.js';

const require = createRequire(import.meta.url);
const modemRequire = createRequire(require.resolve('docker-modem'));
const loaded = (name: string): boolean => Object.keys(require.cache).some((file) => file.includes(`/node_modules/${name}/`));

describe('dockerode-handle', () => {
  it('loads dockerode without ssh2, which only an ssh:// engine needs, and still gives such an engine its ssh agent', () => {
    createDockerode({ socketPath: '/var/run/docker.sock' });
    assert.equal(loaded('docker-modem'), true);
    assert.equal(loaded('ssh2'), false);
    const sshAgent = modemRequire('./ssh.js') as (options: object) => { createConnection: unknown };
    const agent = sshAgent({ host: '127.0.0.1', port: 22, username: 'nobody' });
    assert.equal(typeof agent.createConnection, 'function');
    assert.equal(loaded('ssh2'), true);
  });
});
