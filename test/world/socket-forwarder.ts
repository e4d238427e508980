// Byte-for-byte forwarding between a loopback TCP port and a unix socket. The modern engine
// lives in a network namespace of its own; a unix socket is a file, so it crosses namespaces.
// A forwarder in the engine's namespace (127.0.0.1:P → socket) and one on the host (socket →
// 127.0.0.1:P) let the engine reach the world's registry at the address the tests use.
import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';

export type SocketAddress = { kind: 'tcp'; host: '127.0.0.1'; port: number } | { kind: 'unix'; path: string };

/**
 * `tcp:127.0.0.1:5000` or `unix:/path/to.sock`. TCP is loopback only: this is test plumbing and
 * must never listen on, or connect to, another address.
 */
export function parseSocketAddress(text: string): SocketAddress {
  if (text.startsWith('unix:/')) return { kind: 'unix', path: text.slice('unix:'.length) };
  const tcp = /^tcp:127\.0\.0\.1:(\d{1,5})$/.exec(text);
  const port = Number(tcp?.[1]);
  if (tcp && port > 0 && port < 65536) return { kind: 'tcp', host: '127.0.0.1', port };
  throw new Error(`bad forwarder address ${JSON.stringify(text)}: expected tcp:127.0.0.1:<port> or unix:/<path>`);
}

export function formatSocketAddress(address: SocketAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `tcp:${address.host}:${address.port}`;
}

export interface Forwarder {
  /** Stops listening and cuts the open connections. */
  close(): Promise<void>;
}

/** Listens on `listen` and pipes every connection to a new connection to `connect`. */
export function startForwarder(listen: SocketAddress, connect: SocketAddress): Promise<Forwarder> {
  const open = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = connect.kind === 'unix' ? net.connect(connect.path) : net.connect(connect.port, connect.host);
    for (const socket of [inbound, outbound]) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      // A reset on one side ends the other; the peer sees a closed connection, as without us.
      socket.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  // A socket file left by a killed forwarder would make listen() fail with EADDRINUSE.
  if (listen.kind === 'unix' && existsSync(listen.path)) unlinkSync(listen.path);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const ready = () => {
      server.off('error', reject);
      resolve({
        close: () =>
          new Promise<void>((done) => {
            for (const socket of open) socket.destroy();
            server.close(() => done());
          }),
      });
    };
    if (listen.kind === 'unix') server.listen(listen.path, ready);
    else server.listen(listen.port, listen.host, ready);
  });
}
