import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config/settings-file.js';
import { EngineUnreachableError } from '../engine/connect.js';
import { EngineError } from '../engine/engine-error.js';
import { RegistryConfigError, RegistryUsageError } from '../registry/registry-failure.js';
import { errorExit } from './error-exit.js';
import { EXIT } from './exit-codes.js';

const endpoint = { host: 'unix:///run/user/1000/docker.sock', source: 'DOCKER_HOST', tls: null };

describe('errorExit', () => {
  it('gives an unreadable caFiles entry the usage exit and its own one-line message', () => {
    const exit = errorExit(new RegistryConfigError('caFiles', 'caFiles: cannot read the CA file /x.pem (ENOENT); fix it'));
    assert.deepEqual(exit, { code: EXIT.usage, message: 'caFiles: cannot read the CA file /x.pem (ENOENT); fix it' });
    assert.equal(errorExit(new ConfigError('bad config'))?.code, EXIT.usage);
  });

  it('gives an engine that cannot be reached, or stopped answering, exit 3 on one line naming it', () => {
    const unreachable = errorExit(new EngineUnreachableError([{ host: endpoint.host, source: 'DOCKER_HOST', reason: 'connection refused' }], [], true));
    assert.equal(unreachable?.code, EXIT.engineUnreachable);
    assert.equal(unreachable?.message, 'cannot reach a Docker engine: unix:///run/user/1000/docker.sock (DOCKER_HOST): connection refused');
    const lost = errorExit(new EngineError({ endpoint, operation: 'inspect image app:1', failure: 'reset', detail: 'socket hang up' }));
    assert.equal(lost?.code, EXIT.engineUnreachable);
    assert.match(lost?.message ?? '', /^the Docker engine stopped answering: inspect image app:1 on unix:\/\/\/run\/user\/1000\/docker\.sock \(DOCKER_HOST\) failed: socket hang up$/);
  });

  it('leaves an engine that answered with an error, and our own misuse, to the bug report', () => {
    assert.equal(errorExit(new EngineError({ endpoint, operation: 'tag image', failure: 'http', detail: 'HTTP 500', statusCode: 500 })), null);
    assert.equal(errorExit(new RegistryUsageError('image reference has neither tag nor digest')), null);
    assert.equal(errorExit(new TypeError('x is undefined')), null);
  });

  it('never prints more than one line', () => {
    const exit = errorExit(new ConfigError('first line\n  second line\n'));
    assert.equal(exit?.message, 'first line second line');
  });
});
