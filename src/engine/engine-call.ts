/**
 * One request to the engine as the adapter runs it: under a deadline, with every failure turned
 * into an `EngineError` that names the endpoint and the operation, and the engine's JSON parsed
 * through our schemas.
 */
import type { ZodType } from 'zod';
import type { Dockerode } from './dockerode-handle.js';
import type { EngineEndpoint } from './endpoint.js';
import type { EngineReads } from './engine-reads.js';
import { classifyEngineFailure, EngineError } from './engine-error.js';

/** What a read operation gets: the reads to use and the names its errors carry. */
export interface EngineReadCall {
  readonly reads: EngineReads;
  readonly endpoint: EngineEndpoint;
  readonly operation: string;
}

/** What any other operation gets: a dockerode handle too. */
export interface EngineCall extends EngineReadCall {
  readonly docker: Dockerode;
}

/** Runs `start()` against a deadline of `timeoutMs`; rejects with an `EngineError` in our terms. */
export async function callWithDeadline<T>(endpoint: EngineEndpoint, operation: string, timeoutMs: number, start: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new EngineError({ endpoint, operation, failure: 'timeout', detail: `no answer within ${timeoutMs} ms` }));
    }, timeoutMs);
  });
  const work = start();
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new EngineError({ endpoint, operation, ...classifyEngineFailure(error) });
  } finally {
    clearTimeout(timer);
    // A request that lost the race still settles later; nobody is waiting for it.
    work.catch(() => undefined);
  }
}

/** The engine's answer through `schema`; an answer that does not fit is a `bad-response` failure. */
export function parseEngineAnswer<T>(call: Pick<EngineReadCall, 'endpoint' | 'operation'>, schema: ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined ? '' : `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
  throw new EngineError({ endpoint: call.endpoint, operation: call.operation, failure: 'bad-response', detail: `unexpected answer from the engine (${where})` });
}

/** A 404 from the engine ("no such image/container") as null; any other failure rejects. */
export async function notFoundAsNull<T>(request: Promise<T>): Promise<T | null> {
  try {
    return await request;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return null;
    throw error;
  }
}
