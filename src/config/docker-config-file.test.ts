import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DockerContextConfig, DockerCredentialConfig, dockerConfigDir, parseDockerConfigFile } from './docker-config-file.js';

describe('parseDockerConfigFile', () => {
  const file = JSON.stringify({ auths: { 'ghcr.io': { auth: 'dTpw' } }, credsStore: 'desktop', currentContext: 'colima', plugins: {} });

  it('reads each view of the same file, keeping fields it does not know', () => {
    const credentials = parseDockerConfigFile(file, DockerCredentialConfig);
    assert.ok(credentials.ok);
    assert.equal(credentials.config.credsStore, 'desktop');
    assert.deepEqual(credentials.config.auths, { 'ghcr.io': { auth: 'dTpw' } });
    const context = parseDockerConfigFile(file, DockerContextConfig);
    assert.ok(context.ok);
    assert.equal(context.config.currentContext, 'colima');
  });

  it('checks only the fields a view reads', () => {
    const badContext = JSON.stringify({ currentContext: 5, credsStore: 'desktop' });
    assert.equal(parseDockerConfigFile(badContext, DockerCredentialConfig).ok, true);
    assert.deepEqual(parseDockerConfigFile(badContext, DockerContextConfig), { ok: false, problem: { kind: 'bad-field', field: 'currentContext' } });
    const badAuth = JSON.stringify({ auths: { 'ghcr.io': { auth: 1 } } });
    assert.equal(parseDockerConfigFile(badAuth, DockerContextConfig).ok, true);
    assert.deepEqual(parseDockerConfigFile(badAuth, DockerCredentialConfig), { ok: false, problem: { kind: 'bad-field', field: 'auths.ghcr.io.auth' } });
  });

  it('tells text that is not JSON from JSON that is not an object', () => {
    const notJson = parseDockerConfigFile('{"auths": ', DockerCredentialConfig);
    assert.equal(notJson.ok === false && notJson.problem.kind, 'not-json');
    assert.deepEqual(parseDockerConfigFile('[]', DockerContextConfig), { ok: false, problem: { kind: 'bad-field', field: '' } });
  });
});

describe('dockerConfigDir', () => {
  it('is $DOCKER_CONFIG when set, else ~/.docker', () => {
    assert.equal(dockerConfigDir({ DOCKER_CONFIG: '/cfg' }, '/home/u'), '/cfg');
    assert.equal(dockerConfigDir({ DOCKER_CONFIG: '' }, '/home/u'), '/home/u/.docker');
    assert.equal(dockerConfigDir({ HOME: '/home/v' }), '/home/v/.docker');
  });
});
