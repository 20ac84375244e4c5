/**
 * The Worker's own socket inside a running `wrangler dev`, past wrangler's reload proxy.
 *
 * `wrangler dev` runs two workerd processes: one holds a proxy Worker on the public port, which buffers
 * requests while the code reloads and forwards each one over loopback HTTP to the other, which holds the
 * Worker itself on a port chosen at random. The proxy exists only in development (no deployed Worker has
 * it) and costs more CPU per request than a small Worker does, so the benchmark measures both paths. Each
 * reload of the Worker (wrangler rebuilds when a source file or the assets folder changes) starts a new
 * Worker process on a new port, so what is found here holds only until the next reload.
 * wrangler does not print the inner address; it is found from /proc: the sibling of the process that
 * listens on the public port, then whichever of its listening ports answers `probePath` with a 2xx.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * TCP ports in LISTEN state on 127.0.0.1, by socket inode (proc(5), /proc/net/tcp). IPv4 loopback only:
 * the stack starts wrangler dev with `--ip 127.0.0.1`, and workerd binds its inner sockets there too.
 */
function listeningPorts(): Map<string, number> {
  const ports = new Map<string, number>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [address, state, inode] = [fields[1], fields[3], fields[9]];
    if (!address || state !== '0A' || !inode) continue;
    const [ip, port] = address.split(':');
    if (ip === '0100007F' && port) ports.set(inode, Number.parseInt(port, 16));
  }
  return ports;
}

interface ProcessPorts {
  pid: number;
  parent: number;
  ports: number[];
}

/** Every process that can be read, with its parent and the loopback ports it listens on. */
function processesWithPorts(): ProcessPorts[] {
  const byInode = listeningPorts();
  const found: ProcessPorts[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const ports: number[] = [];
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        let link: string;
        try {
          link = readlinkSync(`/proc/${entry}/fd/${fd}`);
        } catch {
          continue; // Closed meanwhile: workerd opens and closes connections all the time.
        }
        const port = byInode.get(/^socket:\[(\d+)\]$/.exec(link)?.[1] ?? '');
        if (port !== undefined) ports.push(port);
      }
      found.push({ pid: Number(entry), parent, ports });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** The Worker behind a running `wrangler dev`, and the two workerd processes that serve it. */
export interface WorkerSocket {
  /** `http://127.0.0.1:<port>`: the Worker's own socket. */
  url: string;
  /** The workerd process holding the Worker itself: its CPU time is the Worker's. */
  workerPid: number;
  /**
   * The workerd process holding wrangler's reload proxy on the public port. It also relays the Worker's
   * console output to wrangler over the inspector protocol, so it works on the Worker-socket path too.
   */
  proxyPid: number;
  /** wrangler's own Node process, the parent of both: it receives that console output. */
  wranglerPid: number;
}

/** The process listening on 127.0.0.1:`port`. */
export function pidListeningOn(port: number): number {
  const found = processesWithPorts().find((p) => p.ports.includes(port));
  if (!found) throw new Error(`no process listens on 127.0.0.1:${port}`);
  return found.pid;
}

/** The Worker behind the wrangler dev serving `publicPort`: the first sibling port answering `probePath`. */
export async function findWorkerSocket(publicPort: number, probePath: string): Promise<WorkerSocket> {
  const processes = processesWithPorts();
  const proxy = processes.find((p) => p.ports.includes(publicPort));
  if (!proxy) throw new Error(`no process listens on 127.0.0.1:${publicPort}`);
  const candidates = processes
    .filter((p) => p.parent === proxy.parent && p.pid !== proxy.pid)
    .flatMap((p) => p.ports.map((port) => ({ pid: p.pid, port })));
  for (const { pid, port } of candidates) {
    const url = `http://127.0.0.1:${port}`;
    try {
      const response = await fetch(`${url}${probePath}`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.ok) return { url, workerPid: pid, proxyPid: proxy.pid, wranglerPid: proxy.parent };
    } catch {
      // Not an HTTP socket (the inspector, workerd's control port).
    }
  }
  throw new Error(`no sibling of the process on port ${publicPort} answers ${probePath}`);
}
