// A local webhook receiver that holds each reply until the test lets it go: a phone push service
// on a bad day, which keeps a cycle's notification "being sent" for as long as a test needs.
import { startHeldServer } from './held-server.js';

export interface HeldWebhook {
  /** http://127.0.0.1:<port>/hook */
  readonly url: string;
  /** Every body received, in order. */
  readonly bodies: string[];
  /** Resolves when the first request has arrived (its reply held). */
  readonly arrived: Promise<void>;
  /** Lets every held reply (and all later ones) go. */
  release(): void;
  close(): Promise<void>;
}

export async function startHeldWebhook(): Promise<HeldWebhook> {
  const bodies: string[] = [];
  const held = await startHeldServer((req, res, arrive, released) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      arrive();
      void released.then(() => res.end('ok'));
    });
  });
  return { url: `http://127.0.0.1:${held.port}/hook`, bodies, arrived: held.arrived, release: held.release, close: held.close };
}
