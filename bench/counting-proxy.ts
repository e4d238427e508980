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
  /**
   * How long the traces held answers back, summed over the connections traced (an upper bound
   * of what the counting added to the command's wall time: traces of concurrent connections overlap).
   */
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
  const owners = new WeakMap<Socket, Promise<Owner>>();
  const server = http.createServer((req, res) => {
    const current = window;
    let traced: Promise<unknown> = Promise.resolve();
    if (current !== null) {
      const owner = ownerOf(req.socket, current);
      traced = owner;
      current.pending.push(
        owner.then((found) => {
          if (found.pid !== null && (found.ancestors.includes(current.rootPid) || current.via.includes(found.pid))) {
            const key = req.method === 'HEAD' ? 'head' : req.method === 'GET' ? 'get' : 'other';
            current.own[key] += 1;
          } else {
            const who = `${req.method} by ${found.command}`;
            current.foreign.set(who, (current.foreign.get(who) ?? 0) + 1);
          }
        }),
      );
    }
    const upstream = http.request({ host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers }, (answer) => {
      // The answer waits for the trace: a client that has its answer may close its end (and
      // exit) before the trace finds it. The registry works on the request meanwhile.
      void traced.then(() => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  // Traced at a connection's first request in a window, while its client waits for the answer
  // (so the connection and the process are still there); a keep-alive connection keeps its owner.
  const ownerOf = (socket: Socket, current: NonNullable<typeof window>): Promise<Owner> => {
    let owner = owners.get(socket);
    if (owner === undefined) {
      const started = performance.now();
      owner = findOwner(socket.remotePort ?? 0, port, [current.rootPid, ...current.via]);
      void owner.then(() => (current.tracedMs += performance.now() - started));
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
  pid: number | null;
  /** The pid's ancestors, parent first. */
  ancestors: number[];
  command: string;
}

/** The process holding the client end of a loopback connection from clientPort to serverPort. */
async function findOwner(clientPort: number, serverPort: number, candidates: readonly number[]): Promise<Owner> {
  const inode = await socketInode(clientPort, serverPort);
  if (inode === null) return { pid: null, ancestors: [], command: `unknown process (port ${clientPort})` };
  // The measured command's tree first (a few processes), the whole machine only for a stranger.
  const near = new Set<number>();
  for (const pid of candidates) for (const p of await withDescendants(pid)) near.add(p);
  const pid = (await holderOf(inode, [...near])) ?? (await holderOf(inode, await allPids()));
  if (pid === null) return { pid: null, ancestors: [], command: `unknown process (socket ${inode})` };
  const ancestors: number[] = [];
  for (let p = await parentOf(pid); p !== null && p > 1 && ancestors.length < 64; p = await parentOf(p)) ancestors.push(p);
  const command = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ').slice(0, 120);
  return { pid, ancestors, command: command || `pid ${pid}` };
}

async function socketInode(clientPort: number, serverPort: number): Promise<string | null> {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  const local = `:${hex(clientPort)}`;
  const remote = `:${hex(serverPort)}`;
  const table = await fs.readFile('/proc/net/tcp', 'utf8').catch(() => '');
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // An earlier connection on the same ports may linger in TIME_WAIT, with inode 0.
    if (fields[1]?.endsWith(local) && fields[2]?.endsWith(remote) && fields[3] === '01') return fields[9] ?? null;
  }
  return null;
}

async function holderOf(inode: string, pids: readonly number[]): Promise<number | null> {
  const wanted = `socket:[${inode}]`;
  for (const pid of pids) {
    const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === wanted) return pid;
    }
  }
  return null;
}

async function withDescendants(pid: number): Promise<number[]> {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    const tasks = await fs.readdir(`/proc/${found[i]}/task`).catch(() => [] as string[]);
    for (const task of tasks) {
      const children = await fs.readFile(`/proc/${found[i]}/task/${task}/children`, 'utf8').catch(() => '');
      for (const child of children.split(' ').filter(Boolean)) found.push(Number(child));
    }
  }
  return found;
}

async function allPids(): Promise<number[]> {
  return (await fs.readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
}

async function parentOf(pid: number): Promise<number | null> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  // The command name in parentheses may hold spaces: the fields after its closing one are fixed.
  const ppid = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  return ppid === undefined ? null : Number(ppid);
}
