/**
 * The daemon's control socket: HTTP over a unix socket in the runtime folder (mode 0600 in a
 * 0700 folder). GET /status, GET /cycle/last, POST /cycle {images?, dryRun?, reason?} (answers
 * when the cycle that covered it finished), POST /reload.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { CycleResult } from '../record/cycle-result.js';
import { CycleQueueStoppedError, type WatchedRequest } from './cycle-queue.js';
import { CYCLE_STREAM_TYPE, type CycleRequestBody, CycleRequestBodySchema, type DaemonStatus } from './control-protocol.js';
import type { Logger } from '../util/logger.js';

export interface ControlHandlers {
  status(): DaemonStatus;
  lastCycle(): CycleResult | null;
  /** Queues a cycle request; its result, and where it is meanwhile. */
  watchCycle(body: ControlCycleBody): WatchedRequest;
  reload(): Promise<void>;
}

export type ControlCycleBody = Required<Pick<CycleRequestBody, 'images' | 'dryRun'>> & Pick<CycleRequestBody, 'reason'>;

const MAX_BODY_BYTES = 64 * 1024;
/** How often a streamed cycle request is told where it is (only when that changed). */
const POSITION_EVERY_MS = 250;

export class ControlServer {
  readonly #socketPath: string;
  readonly #handlers: ControlHandlers;
  readonly #logger: Logger;
  #server: http.Server | null = null;

  constructor(socketPath: string, handlers: ControlHandlers, logger: Logger) {
    this.#socketPath = socketPath;
    this.#handlers = handlers;
    this.#logger = logger;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        this.#logger.error('control request failed', { method: req.method, url: req.url, error });
        if (!res.headersSent) send(res, 500, { error: error instanceof Error ? error.message : String(error) });
        else res.destroy();
      });
    });
    // Cycles can take minutes: the default request timeout (5 min) would cut a CLI off mid-rebuild.
    server.requestTimeout = 0;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#logger.error('control socket error', { error }));
    await fs.chmod(this.#socketPath, 0o600);
    this.#server = server;
    this.#logger.info('control socket listening', { socket: this.#socketPath });
  }

  /** Stops accepting; requests in flight are answered by whoever resolves them (or cut off). */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // A CLI waiting on a cycle the queue rejected has had its answer; anything else is cut.
      setTimeout(() => server.closeAllConnections(), 1_000).unref();
    });
    await fs.rm(this.#socketPath, { force: true });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = `${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0]}`;
    switch (route) {
      case 'GET /status':
        return send(res, 200, this.#handlers.status());
      case 'GET /cycle/last': {
        const last = this.#handlers.lastCycle();
        return last === null ? send(res, 404, { error: 'no cycle has finished yet' }) : send(res, 200, last);
      }
      case 'POST /cycle': {
        const body = await readJson(req);
        if (!body.ok) return send(res, 400, { error: body.error });
        const parsed = CycleRequestBodySchema.safeParse(body.value);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return send(res, 400, { error: `bad cycle request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
        }
        const watched = this.#handlers.watchCycle(parsed.data);
        if ((req.headers.accept ?? '').includes(CYCLE_STREAM_TYPE)) return streamCycle(res, watched, this.#logger);
        try {
          return send(res, 200, await watched.result);
        } catch (error) {
          if (error instanceof CycleQueueStoppedError) return send(res, 503, { error: error.message });
          throw error;
        }
      }
      case 'POST /reload':
        await this.#handlers.reload();
        return send(res, 200, { reloaded: true });
      default:
        return send(res, 404, { error: `no such request: ${route}` });
    }
  }
}

/** The request's position whenever it changes, then its result (see CYCLE_STREAM_TYPE). */
async function streamCycle(res: http.ServerResponse, watched: WatchedRequest, logger: Logger): Promise<void> {
  res.writeHead(200, { 'content-type': CYCLE_STREAM_TYPE });
  let shown = '';
  const tell = (): void => {
    if (res.writableEnded) return;
    const line = JSON.stringify({ position: watched.position() });
    if (line === shown) return;
    shown = line;
    res.write(`${line}\n`);
  };
  tell();
  const timer = setInterval(tell, POSITION_EVERY_MS);
  // Its own cycle starting is told at once: a short cycle may end before the next tick.
  void watched.started.then(tell);
  try {
    const result = await watched.result;
    res.end(`${JSON.stringify({ result })}\n`);
  } catch (error) {
    const stopped = error instanceof CycleQueueStoppedError;
    if (!stopped) logger.error('control request failed', { method: 'POST', url: '/cycle', error });
    res.end(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error), status: stopped ? 503 : 500 })}\n`);
  } finally {
    clearInterval(timer);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, error: `request body over ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: 'request body is not JSON' };
  }
}
