// A local webhook receiver that holds each reply until the test lets it go: a phone push service
// on a bad day, which keeps a cycle's notification "being sent" for as long as a test needs.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      bodies.push(body);
      arrive();
      void released.then(() => res.end('ok'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    arrived,
    release,
    close: () => {
      release();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
