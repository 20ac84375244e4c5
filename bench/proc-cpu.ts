/**
 * CPU time of a process from /proc/<pid>/stat (proc(5): utime, stime, cutime, cstime, fields 14–17, in
 * clock ticks). Unlike wall time, it barely moves when other work shares the machine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second of /proc times (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU seconds used by `pid` itself (all its threads) and by its children that have ended. Throws when the
 * process has ended, so a measurement cannot silently read a process that was replaced meanwhile.
 */
export function cpuSeconds(pid: number): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const seconds = (i: number) => Number(fields[i]) / CLOCK_TICKS;
  return { self: seconds(11) + seconds(12), children: seconds(13) + seconds(14) };
}
