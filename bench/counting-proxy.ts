/**
 * A plain HTTP proxy in front of the registry that counts what the measured tool asks, and only
 * what it asks.
 *
 * Why "only": the bench's base images are named after this proxy, and the engine they live in is
 * shared. Any other basewatch that lists every image of that engine (a test suite's daemon or an
 * unnamed `check`, running at the same time) asks about them here too, and a count by time window
 * gave those requests to whatever tool was being measured, `check --offline` included. So each
 * connection is traced to the process that opened it (its socket inode in /proc/net/tcp, then the
 * process holding that inode): a request counts when that process is the measured command or one
 * of its descendants, or one of the `via` processes (dockerd, which pulls for `docker pull`).
 * Everything else is counted apart as foreign, with the command that sent it.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RequestCounts {
  head: number;
  get: number;
  other: number;
}

export interface Attribution {
  own: RequestCounts;
  /** Time spent tracing the command's connections (synchronously, so added to its wall time at most). */
  tracedMs: number;
  /** Requests from processes outside the measured command, by their command line. */
  foreign: Map<string, number>;
}

export interface CountingProxy {
  /** host:port to name images with. */
  host: string;
  /** Starts counting for the command whose process is `rootPid` (and requests made for it by `via`). */
  begin(rootPid: number, via?: readonly number[]): void;
  /** Waits until every request seen so far is attributed, and returns the counts since begin(). */
  end(): Promise<Attribution>;
  close(): Promise<void>;
}

const emptyCounts = (): RequestCounts => ({ head: 0, get: 0, other: 0 });

export async function startCountingProxy(registry: string): Promise<CountingProxy> {
  const [targetHost, targetPort] = registry.split(':');
  let window: { rootPid: number; via: readonly number[]; own: RequestCounts; foreign: Map<string, number>; pending: Array<Promise<void>>; tracedMs: number } | null = null;
  const owners = new WeakMap<Socket, Owner>();
  const server = http.createServer((req, res) => {
    const current = window;
    if (current !== null) {
      const owner = ownerOf(req.socket, current);
      if (owner.own) {
        const key = req.method === 'HEAD' ? 'head' : req.method === 'GET' ? 'get' : 'other';
        current.own[key] += 1;
      } else {
        current.pending.push(
          owner.command.then((command) => {
            const who = `${req.method} by ${command}`;
            current.foreign.set(who, (current.foreign.get(who) ?? 0) + 1);
          }),
        );
      }
    }
    const upstream = http.request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  // Traced at a connection's first request in a window, before it is forwarded: the client waits
  // for the answer, so its connection and process are there. Synchronous, as a few reads of
  // /proc are: through the thread pool, on a loaded machine, each trace took tens of ms, added
  // to the measured command's time. A keep-alive connection keeps its owner.
  const ownerOf = (socket: Socket, current: NonNullable<typeof window>): Owner => {
    let owner = owners.get(socket);
    if (owner === undefined) {
      const started = performance.now();
      owner = traceOwner(socket.remotePort ?? 0, port, current.rootPid, current.via);
      current.tracedMs += performance.now() - started;
      owners.set(socket, owner);
    }
    return owner;
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    begin(rootPid, via = []) {
      window = { rootPid, via, own: emptyCounts(), foreign: new Map(), pending: [], tracedMs: 0 };
    },
    async end() {
      const current = window;
      window = null;
      if (current === null) return { own: emptyCounts(), tracedMs: 0, foreign: new Map() };
      await Promise.all(current.pending);
      return { own: current.own, tracedMs: current.tracedMs, foreign: current.foreign };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Owner {
  /** Sent by the measured command, one of its descendants, or one of the `via` processes. */
  own: boolean;
  /** For a stranger: its command line, found in the background (it may be gone by then). */
  command: Promise<string>;
}

/** Who holds the client end of a loopback connection from clientPort to serverPort. */
function traceOwner(clientPort: number, serverPort: number, rootPid: number, via: readonly number[]): Owner {
  const inode = socketInode(clientPort, serverPort);
  if (inode === null) return { own: false, command: Promise.resolve('a process whose connection had closed') };
  if (holderOf(inode, [...withDescendants(rootPid), ...via]) !== null) return { own: true, command: Promise.resolve('') };
  return { own: false, command: commandHolding(inode) };
}

function socketInode(clientPort: number, serverPort: number): string | null {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  const local = `:${hex(clientPort)}`;
  const remote = `:${hex(serverPort)}`;
  const table = readOr('/proc/net/tcp');
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // An earlier connection on the same ports may linger in TIME_WAIT, with inode 0.
    if (fields[1]?.endsWith(local) && fields[2]?.endsWith(remote) && fields[3] === '01') return fields[9] ?? null;
  }
  return null;
}

function holderOf(inode: string, pids: readonly number[]): number | null {
  const wanted = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === wanted) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}

function withDescendants(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${found[i]}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      for (const child of readOr(`/proc/${found[i]}/task/${task}/children`).split(' ').filter(Boolean)) found.push(Number(child));
    }
  }
  return found;
}

/** The command line of the process holding a socket, looked for among all of them. */
async function commandHolding(inode: string): Promise<string> {
  const wanted = `socket:[${inode}]`;
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    for (const fd of await fs.readdir(`/proc/${name}/fd`).catch(() => [] as string[])) {
      if ((await fs.readlink(`/proc/${name}/fd/${fd}`).catch(() => '')) !== wanted) continue;
      const command = (await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ').slice(0, 120);
      return command || `pid ${name}`;
    }
  }
  return 'processes gone before they were named';
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
