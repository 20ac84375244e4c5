/**
 * Resident memory of a process tree (a Node process and its ffmpeg children), sampled from /proc: per
 * process, the sum of RSS, the sum of PSS, and every resident page counted once.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Footprint {
  /** The Node process. */
  self: number;
  /** The largest single child (an ffmpeg run). */
  child: number;
  /** Node and all its children at once: the sum of their RSS, which counts shared library pages once per process. */
  tree: number;
  /**
   * The same sum of PSS (proportional set size, smaps_rollup): each shared page split between the processes
   * that map it, so library pages shared by two ffmpeg runs count once. An approximation of the tree's own
   * resident memory: page cache (the work directory's files) is not in it, and pages shared with processes
   * outside the tree are split with them.
   */
  treePss: number;
  /**
   * Node and its children with every resident page counted once: each process's private pages, plus for
   * each file mapping they share (the same file and offset: ffmpeg's libraries in two runs) the most any
   * of them has resident — so, unlike PSS, pages shared with processes outside the tree count in full. What
   * a container holding only the transcoder keeps resident, page cache aside. Read from full smaps, which
   * costs CPU, so sampled once a second rather than every 100 ms.
   */
  treeOnce: number;
  /** The children alone (the ffmpeg runs), every resident page once, sampled with `treeOnce`. */
  childrenOnce: number;
}

const NONE: Footprint = { self: 0, child: 0, tree: 0, treePss: 0, treeOnce: 0, childrenOnce: 0 };

/** Resident memory of a process, of its largest descendant and of all of them together, from /proc. */
function treeRss(root: number, withOnce: boolean): Footprint {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state, ppid, … rss is the 22nd of them (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * 4096);
    } catch {
      // The process ended while the table was read.
    }
  }
  const inTree = (pid: number): boolean => pid === root || (parent.has(pid) && inTree(parent.get(pid) ?? 0));
  let tree = 0;
  let child = 0;
  let treePss = 0;
  const children: number[] = [];
  for (const [pid, bytes] of rss) {
    if (!inTree(pid)) continue;
    tree += bytes;
    treePss += pss(pid);
    if (pid === root) continue;
    children.push(pid);
    child = Math.max(child, bytes);
  }
  return {
    self: rss.get(root) ?? 0,
    child,
    tree,
    treePss,
    treeOnce: withOnce ? residentOnce([root, ...children]) : 0,
    childrenOnce: withOnce ? residentOnce(children) : 0,
  };
}

// A mapping's header line in /proc/<pid>/smaps: address range, permissions, offset, device, inode, path.
const SMAPS_HEADER = /^[0-9a-f]+-[0-9a-f]+ \S+ ([0-9a-f]+) (\S+) (\d+)/;
const SMAPS_FIELD = /^(Private_Clean|Private_Dirty|Shared_Clean|Shared_Dirty):\s+(\d+) kB/;

/** Bytes resident in `pids` with each page once (see `Footprint.treeOnce`); ended processes add 0. */
function residentOnce(pids: number[]): number {
  let privateKb = 0;
  const sharedKb = new Map<string, number>();
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
    } catch {
      continue;
    }
    const mine = new Map<string, number>();
    let mapping = '';
    for (const line of text.split('\n')) {
      const header = SMAPS_HEADER.exec(line);
      if (header) {
        // A file mapping holds the same pages in every process mapping that file at that offset; an
        // anonymous one (inode 0) is its own.
        const [, offset, device, inode] = header;
        mapping =
          inode === '0' ? `${pid}:${line.slice(0, line.indexOf(' '))}` : `${device}:${inode}:${offset}`;
        continue;
      }
      const field = SMAPS_FIELD.exec(line);
      if (!field) continue;
      const kb = Number(field[2]);
      if (field[1]?.startsWith('Private')) privateKb += kb;
      else mine.set(mapping, (mine.get(mapping) ?? 0) + kb);
    }
    for (const [key, kb] of mine) sharedKb.set(key, Math.max(sharedKb.get(key) ?? 0, kb));
  }
  let total = privateKb;
  for (const kb of sharedKb.values()) total += kb;
  return total * 1024;
}

/** A process's proportional set size in bytes, 0 when it has ended. */
function pss(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return Number(kb ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The largest footprint of `pid`'s tree seen between `start()` and `stop()`, each measure on its own. */
export function rssSampler(pid: number) {
  let peak = NONE;
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      peak = NONE;
      let tick = 0;
      timer = setInterval(() => {
        const now = treeRss(pid, tick++ % 10 === 0);
        peak = {
          self: Math.max(peak.self, now.self),
          child: Math.max(peak.child, now.child),
          tree: Math.max(peak.tree, now.tree),
          treePss: Math.max(peak.treePss, now.treePss),
          treeOnce: Math.max(peak.treeOnce, now.treeOnce),
          childrenOnce: Math.max(peak.childrenOnce, now.childrenOnce),
        };
      }, 100);
    },
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
