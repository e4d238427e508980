// Removes what tests left in the engine: containers and images of this run (by label or
// listed in the run's ledger), and those of earlier runs whose runner process is gone.
import { readFile } from 'node:fs/promises';
import { type EngineEndpoint, engineJson, engineRequest } from './engine-api.js';
import { RUN_LABEL, TEST_LABEL } from './env.js';

export interface CleanupOptions {
  runId: string;
  /** File of image refs/ids the helpers created, one a line (covers images without our labels). */
  ledgerFile: string;
  /** The engine shares our pid namespace, so run ids of dead runners can be recognised. */
  sweepStale: boolean;
}

interface ImageSummary {
  Id: string;
  Created: number;
  Labels: Record<string, string> | null;
}
interface ContainerSummary {
  Id: string;
  Labels: Record<string, string> | null;
}

export async function removeTestArtifacts(
  endpoint: EngineEndpoint,
  options: CleanupOptions,
): Promise<{ containers: number; images: number; failed: string[] }> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`${TEST_LABEL}=1`] }));
  const ours = (labels: Record<string, string> | null) => {
    const run = labels?.[RUN_LABEL];
    if (run === options.runId) return true;
    return options.sweepStale && !runnerAlive(run);
  };

  const containers = await engineJson<ContainerSummary[]>(endpoint, `/containers/json?all=1&filters=${filters}`);
  let removedContainers = 0;
  for (const container of containers.filter((c) => ours(c.Labels))) {
    const response = await engineRequest(endpoint, 'DELETE', `/containers/${container.Id}?force=1&v=1`);
    if (response.status < 300 || response.status === 404) removedContainers++;
  }

  const images = await engineJson<ImageSummary[]>(endpoint, `/images/json?all=1&filters=${filters}`);
  // Newest first: children before the parents they depend on.
  const targets = images
    .filter((image) => ours(image.Labels))
    .sort((a, b) => b.Created - a.Created)
    .map((image) => image.Id);
  targets.unshift(...(await readLedger(options.ledgerFile)));

  let removedImages = 0;
  let pending = [...new Set(targets)];
  const failed: string[] = [];
  // A parent still referenced by a child answers 409; later passes get it once the child is gone.
  for (let pass = 0; pass < 5 && pending.length > 0; pass++) {
    const retry: string[] = [];
    for (const target of pending) {
      const response = await engineRequest(endpoint, 'DELETE', `/images/${encodeURIComponent(target)}?force=1`);
      if (response.status < 300) removedImages++;
      else if (response.status === 409) retry.push(target);
      else if (response.status !== 404) failed.push(`${target}: HTTP ${response.status} ${response.body.trim()}`);
    }
    if (retry.length === pending.length) {
      failed.push(...retry.map((target) => `${target}: still in use`));
      break;
    }
    pending = retry;
  }
  return { containers: removedContainers, images: removedImages, failed };
}

async function readLedger(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  } catch {
    return [];
  }
}

/** Run ids are `<runner pid>-<random>`; an id we cannot read counts as stale. */
function runnerAlive(runId: string | undefined): boolean {
  const pid = Number(runId?.split('-')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
