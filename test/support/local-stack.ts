/**
 * `npm start`'s program run as a user runs it, for tests of how the local stack lives and dies: its
 * process tree, what it listens on, and what is left when it ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { StackInfo } from '../../dev/stack/index.ts';

const START = join(import.meta.dirname, '../../dev/start.ts');
const NODE = join(import.meta.dirname, '../../node_modules/.bin/node');

/** The parent of every live process. */
export function parents(): Map<number, number> {
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
export function descendants(root: number): number[] {
  const tree = parents();
  const found = [root];
  for (let i = 0; i < found.length; i++) {
    for (const [pid, ppid] of tree) if (ppid === found[i]) found.push(pid);
  }
  return found;
}

export const alive = (pid: number) => {
  try {
    // A zombie has exited; only its parent's wait is missing.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

export async function gone(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const commandLine = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '(gone)';
  }
};

/** The addresses `pids` listen on (TCP), from /proc/net/tcp{,6} matched to their sockets' inodes. */
export function listeningAddresses(pids: number[]): string[] {
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
export const isLoopback = (hex: string) =>
  hex.length === 8
    ? hex.endsWith('7F')
    : hex === '00000000000000000000000001000000' || /^0000000000000000FFFF0000..0000007F$/.test(hex);

export interface LocalStack {
  /** `node dev/start.ts`, the leader of its process group. */
  child: ChildProcess;
  /** Every process of the stack once it was up, whatever group each is in. */
  processes: number[];
  /** `.local/stack.json`. */
  info: StackInfo;
  /** Kills whatever is left of the stack and removes its folder. */
  dispose(): Promise<void>;
}

/** `npm start`'s program in a fresh folder, in a process group of its own as a shell would run it. */
export async function startLocalStack(): Promise<LocalStack> {
  const dir = await mkdtemp(join(tmpdir(), 'ies-local-stack-'));
  const child = spawn(NODE, [START], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const info = JSON.parse(readFileSync(join(dir, '.local/stack.json'), 'utf8')) as StackInfo;
  return {
    child,
    processes,
    info,
    async dispose() {
      if (child.pid && alive(child.pid)) process.kill(-child.pid, 'SIGKILL');
      await gone(processes, 10_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
