/**
 * Child processes that end when this process ends, however it ends: Ctrl-C, an uncaught error, or a
 * SIGKILL that no exit handler sees.
 *
 * Each child runs in a process group of its own, so one signal reaches everything it starts (wrangler's
 * launcher re-spawns Node, which starts esbuild and two workerd processes). Beside it runs a watchman: a
 * `/bin/sh` in yet another group, blocked reading a pipe whose only writer is this process. The kernel
 * closes that pipe when this process dies, `read` returns at end of file, and the watchman kills the
 * child's whole group. The kernel's parent-death signal (`setpriv --pdeathsig`) would reach only the
 * direct child, not the processes it starts, and an exit handler does not run on SIGKILL.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

const STOP_GRACE_MS = 5000;

// dash, Debian's /bin/sh, takes no `--` before a negative pid: `kill -KILL -PGID` signals the group.
const WATCHMAN_SCRIPT = 'read -r _ignored; kill -KILL "-$1" 2>/dev/null';

export interface TiedProcess {
  child: ChildProcess;
  /**
   * SIGTERM to the child, which stops what it started its own way; SIGKILL to its whole group after
   * `graceMs`. Resolves once the child has exited. Safe to call twice and after the child exited.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Sends `signal` to process (or, negative, group) `pid`; false when there is none. */
function kill(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Starts `command` in a group of its own, killed with all it started when this process dies. */
export function spawnTied(command: string, args: readonly string[], options: SpawnOptions = {}): TiedProcess {
  const child = spawn(command, args, { ...options, detached: true });
  // A child that could not be spawned emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const pid = child.pid;
  if (pid === undefined) return { child, stop: () => exited };

  // Node opens the pipe close-on-exec, so no other child holds its write end open.
  const watchman = spawn('/bin/sh', ['-c', WATCHMAN_SCRIPT, 'watchman', String(pid)], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchman.unref();
  (watchman.stdin as Socket | null)?.unref();
  const running = () => child.exitCode === null && child.signalCode === null;
  void exited.then(() => {
    // Whatever the child left behind would outlive it otherwise; and once the group is empty its id may
    // be reused, so the watchman must not outlive it either.
    kill(-pid, 'SIGKILL');
    watchman.kill('SIGKILL');
  });

  return {
    child,
    async stop(graceMs = STOP_GRACE_MS) {
      if (!running() || !kill(pid, 'SIGTERM')) return exited;
      const timer = setTimeout(() => kill(-pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
