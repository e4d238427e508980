// `basewatch … | head`: the reader closes the pipe before basewatch is done writing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir, repoRoot, writeTree } from './helpers/world.js';

describe('a closed stdout', () => {
  it('ends quietly, with the command\'s exit code and no stack, when the reader quits early', async () => {
    // Enough Dockerfiles that the report is far larger than a pipe's buffer.
    const root = await makeTempDir('epipe');
    const files: Record<string, string> = {};
    for (let i = 0; i < 600; i++) files[`svc-${i}/Dockerfile`] = `FROM docker.io/library/python:3.12-slim-${i}\nRUN echo ${'x'.repeat(200)}\n`;
    await writeTree(root, files);
    const home = await makeTempDir('epipe-home');
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(repoRoot, 'bin', 'basewatch.js'))} check --offline --json --root ${JSON.stringify(root)} | head -c 100 >/dev/null; echo "exit=\${PIPESTATUS[0]}"`;
    const child = spawn('bash', ['-c', script], { env: { ...process.env, BASEWATCH_HOME: home, NO_COLOR: '1', DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    // With no engine the report is still printed, and check exits 3 (no engine) as documented.
    assert.match(stdout, /exit=3\n/);
    assert.doesNotMatch(stderr, /EPIPE|Error:|at .*\.js:\d+/);
  });
});
