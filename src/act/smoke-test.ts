/**
 * The `smokeTest` setting: a shell command run in a container of a new image before its tags
 * move. A failure keeps the tags where they were (and the new image is removed).
 */
import type { EngineClient } from '../engine/docker-engine.js';

export type SmokeTestResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const SMOKE_TEST_TIMEOUT_MS = 5 * 60 * 1000;

export async function runSmokeTest(engine: EngineClient, imageId: string, command: string): Promise<SmokeTestResult> {
  try {
    const run = await engine.runContainer(imageId, { entrypoint: ['/bin/sh', '-c'], cmd: [command], timeoutMs: SMOKE_TEST_TIMEOUT_MS });
    if (run.exitCode === 0) return { ok: true };
    const tail = run.output.trim().split('\n').slice(-5).join('\n');
    return { ok: false, reason: `the smoke test \`${command}\` exited ${run.exitCode}${tail ? `:\n${tail}` : ''}` };
  } catch (error) {
    return { ok: false, reason: `the smoke test \`${command}\` could not run: ${error instanceof Error ? error.message : String(error)}` };
  }
}
