// A registry on a bad day: a loopback HTTP server that holds every request without an answer
// until the test lets them go, then answers each (and every later one) 404 the way a registry
// says "no such manifest". A cycle that asks it stays busy for as long as a test needs.
import { startHeldServer } from './held-server.js';

export interface HeldRegistry {
  /** 127.0.0.1:<port>, as an image reference's registry part. */
  readonly host: string;
  /** Request lines received, in order. */
  readonly requests: string[];
  /** Resolves when the first request has arrived (its answer held). */
  readonly arrived: Promise<void>;
  /** Answers every held request (and all later ones) with 404. */
  release(): void;
  close(): Promise<void>;
}

export async function startHeldRegistry(): Promise<HeldRegistry> {
  const requests: string[] = [];
  const held = await startHeldServer(
    (req, res, arrive, released) => {
      requests.push(`${req.method} ${req.url}`);
      arrive();
      req.resume();
      void released.then(() => {
        const body = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
        res.writeHead(404, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    },
    { closeAllConnections: true },
  );
  return { host: `127.0.0.1:${held.port}`, requests, arrived: held.arrived, release: held.release, close: held.close };
}
