// A loopback HTTP server whose replies wait until the test lets them go: the shared part of the
// held registry (held-registry.ts) and the held webhook receiver (held-webhook.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldServer {
  readonly port: number;
  /** Resolves when the first request has arrived (its reply held). */
  readonly arrived: Promise<void>;
  /** Lets every held reply (and all later ones) go. */
  release(): void;
  close(): Promise<void>;
}

/**
 * `handle` gets each request with `arrive` (call it once the request counts as arrived) and
 * `released` (reply after it). `closeAllConnections`: close() also cuts open connections.
 */
export async function startHeldServer(
  handle: (req: http.IncomingMessage, res: http.ServerResponse, arrive: () => void, released: Promise<void>) => void,
  options: { closeAllConnections?: boolean } = {},
): Promise<HeldServer> {
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = http.createServer((req, res) => handle(req, res, arrive, released));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arrived,
    release,
    close: () => {
      release();
      if (options.closeAllConnections === true) server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
