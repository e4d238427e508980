// A unix socket in front of the engine's that notes each request sent through it: how many
// times the engine was asked about what, the way a user would see it in `strace`.
import net from 'node:net';
import path from 'node:path';

/** A unix socket that forwards to the engine's and notes each request line sent through it. */
export async function countingSocket(target: string, dir: string): Promise<{ path: string; requests: string[]; close(): Promise<void> }> {
  const file = path.join(dir, 'counting.sock');
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const engine = net.connect(target);
    sockets.add(client).add(engine);
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      // Request lines only: bodies (a build context) may hold anything, but no line of ours starts "GET /v1.".
      pending += chunk.toString('latin1');
      const lines = pending.split('\r\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (/^(GET|POST|HEAD|DELETE|PUT) \/\S* HTTP\/1\.[01]$/.test(line)) requests.push(line);
      engine.write(chunk);
    });
    engine.pipe(client);
    const end = (): void => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', end).on('close', end);
    engine.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return {
    path: file,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The image ids the engine was asked to inspect or give the history of. */
export function inspected(requests: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const line of requests) {
    const match = /^GET (?:\/v[\d.]+)?\/images\/([^/]+)\/(?:json|history) /.exec(line);
    if (match) ids.add(decodeURIComponent(match[1] ?? ''));
  }
  return ids;
}

