/**
 * `npm start` as a user and a supervisor end it: every process the local stack started must be gone
 * afterwards, whether it was stopped with Ctrl-C or its whole process group was killed with SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const START = join(import.meta.dirname, '../../dev/start.ts');
const NODE = join(import.meta.dirname, '../../node_modules/.bin/node');

/** The parent of every live process. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(entry), ppid);
    } catch {
      // exited while being read
    }
  }
  return map;
}

/** `root` and every process below it, whatever process group each one is in. */
function descendants(root: number): number[] {
  const tree = parents();
  const found = [root];
  for (let i = 0; i < found.length; i++) {
    for (const [pid, ppid] of tree) if (ppid === found[i]) found.push(pid);
  }
  return found;
}

const alive = (pid: number) => {
  try {
    // A zombie has exited; only its parent's wait is missing.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function gone(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const commandLine = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '(gone)';
  }
};

/** The addresses `pids` listen on (TCP), from /proc/net/tcp{,6} matched to their sockets' inodes. */
function listeningAddresses(pids: number[]): string[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      }
    } catch {
      // exited while being read
    }
  }
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is hex `ADDR:PORT`, st 0A is LISTEN, the inode is the tenth field (proc(5)).
      if (fields[3] !== '0A' || !inodes.has(fields[9] ?? '')) continue;
      addresses.push(fields[1]?.split(':')[0] ?? '');
    }
  }
  return addresses;
}

/** 127.0.0.0/8 in /proc's little-endian hex, or ::1 and ::ffff:127.x in IPv6 form. */
const isLoopback = (hex: string) =>
  hex.length === 8
    ? hex.endsWith('7F')
    : hex === '00000000000000000000000001000000' || /^0000000000000000FFFF0000..0000007F$/.test(hex);

let dir: string | undefined;
let started: ChildProcess | undefined;

/** `npm start`'s program in a fresh folder, in a process group of its own as a shell would run it. */
async function startLocalStack() {
  dir = await mkdtemp(join(tmpdir(), 'ies-local-stack-'));
  const child = spawn(NODE, [START], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started = child;
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.includes('Ctrl-C stops everything')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${stderr.join('')}`)));
  });
  const processes = descendants(child.pid ?? 0);
  const apiBase = JSON.parse(readFileSync(join(dir, '.local/stack.json'), 'utf8')).apiBase as string;
  return { child, processes, apiBase };
}

afterEach(async () => {
  if (started?.pid && alive(started.pid)) process.kill(-started.pid, 'SIGKILL');
  started = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the local stack', () => {
  it('listens on loopback only, and leaves no process behind when its group is killed with SIGKILL', async () => {
    const { child, processes, apiBase } = await startLocalStack();
    const names = processes.map(commandLine).join('\n');
    // The processes that used to survive: wrangler with its esbuild and workerd, and the transcoder.
    for (const name of ['wrangler', 'workerd', 'esbuild', 'mariadbd', 'transcoder/main.ts']) {
      expect(names).toContain(name);
    }
    const addresses = listeningAddresses(processes);
    // MariaDB, the PlanetScale-protocol server, fauxqs, its CORS front, workerd and the transcoder's health.
    expect(addresses.length).toBeGreaterThanOrEqual(6);
    expect(addresses.filter((address) => !isLoopback(address))).toEqual([]);

    process.kill(-(child.pid ?? 0), 'SIGKILL');
    const left = await gone(processes, 10_000);
    expect(left.map(commandLine)).toEqual([]);
    await expect(fetch(`${apiBase}/health`)).rejects.toThrow();
  });

  it('stops everything within 5 s of Ctrl-C', async () => {
    const { child, processes } = await startLocalStack();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const asked = Date.now();
    // A terminal's Ctrl-C: SIGINT to the foreground process group.
    process.kill(-(child.pid ?? 0), 'SIGINT');
    expect(await exited).toBe(0);
    const left = await gone(processes, Math.max(0, 5000 - (Date.now() - asked)));
    expect(left.map(commandLine)).toEqual([]);
    expect(Date.now() - asked).toBeLessThan(5000);
  });
});
