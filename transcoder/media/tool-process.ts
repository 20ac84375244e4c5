/**
 * One ffmpeg or ffprobe process: spawned with `node:child_process`, killed through a signal, its output
 * read with bounds. What a run means (slots, time limits, logging, errors) is `runner.ts`'s.
 *
 * A run must not outlive the transcoder, however the transcoder ends (SIGKILL, the OOM killer, a crash
 * that skips every exit handler). `dev/stack/tied-process.ts` ties wrangler to the dev stack with a
 * process group and a watchman shell, because wrangler starts processes of its own and the kernel's
 * parent-death signal reaches only the direct child. ffmpeg and ffprobe start none, so that signal is
 * all they need, and it costs no extra process: each tool is started through util-linux's
 * `setpriv --pdeathsig KILL`, which sets it (prctl PR_SET_PDEATHSIG, kept across execve) and execs the
 * tool in its own place. The signal comes when the thread that spawned the child ends (prctl(2)); runs
 * are spawned from Node's main thread, whose end is the process's. util-linux is Essential in Debian,
 * so `setpriv` is on every Debian system, the transcoder's image (node:22-bookworm-slim) included.
 */
import { spawn } from 'node:child_process';

export type Tool = 'ffmpeg' | 'ffprobe';

/** The stderr lines a run keeps, apart from stats lines: its first ones and its last ones. */
export const KEPT_STDERR_LINES = 20;
/** A stderr line longer than this is cut: ffmpeg's own lines are short, an input's garbage need not be. */
const MAX_LINE_CHARS = 4096;

/**
 * Exit code 126 or 127 with a message of setpriv's own: setpriv could not exec the tool (util-linux,
 * include/c.h `errexec`: 127 when it is not found, 126 otherwise), so the tool never ran.
 */
const EXEC_FAILED = /^setpriv: /;

/** What ffmpeg's stats line says it has written so far. */
export interface Stats {
  /** The first output's video frame count. */
  frame: number | null;
  /**
   * The time written. Under `-copyts` ffmpeg measures it from the first value it happened to report
   * (fftools/ffmpeg.c, print_report), so runs that keep input timestamps count frames instead.
   */
  seconds: number | null;
}

const STATS_LINE = /^frame=|^size=|time=-?\d+:\d\d:\d\d/;
const FRAME = /^frame=\s*(\d+)/;
const TIME = /time=(\d+):(\d\d):(\d\d(?:\.\d+)?)/;

/** Reads an ffmpeg stats line (`frame=  50 … time=00:00:05.00 …`); null for any other line. */
export function parseStats(line: string): Stats | null {
  if (!STATS_LINE.test(line)) return null;
  const frame = FRAME.exec(line);
  const time = TIME.exec(line);
  return {
    frame: frame ? Number(frame[1]) : null,
    seconds: time ? Number(time[1]) * 3600 + Number(time[2]) * 60 + Number(time[3]) : null,
  };
}

export interface ToolOptions {
  /** Aborting kills the process (SIGKILL). */
  kill?: AbortSignal;
  /** Keep stdout up to this many bytes; more kills the process. Without it stdout is not read. */
  stdoutLimit?: number;
  onSpawn?: (pid: number) => void;
  onStats?: (stats: Stats) => void;
}

/** How a process ended, with what it wrote. */
export interface ToolExit {
  /** Exit code, null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout went past `stdoutLimit` and the process was killed for it. */
  overflow: boolean;
  /** stderr's first and last `KEPT_STDERR_LINES` non-empty lines other than stats, and how many between. */
  stderr: { first: string[]; last: string[]; skipped: number };
}

/** A tool that never ran: setpriv or the tool could not be started. */
export class NotStartedError extends Error {
  override readonly name = 'NotStartedError';
}

/**
 * Runs `tool` with `args` to its end. Resolves however the process ended, killed included; rejects with
 * a `NotStartedError` when it never ran.
 */
export function runTool(tool: Tool, args: readonly string[], o: ToolOptions = {}): Promise<ToolExit> {
  return new Promise<ToolExit>((resolve, reject) => {
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', tool, ...args], {
      stdio: ['ignore', o.stdoutLimit === undefined ? 'ignore' : 'pipe', 'pipe'],
    });
    const stderr: ToolExit['stderr'] = { first: [], last: [], skipped: 0 };
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let overflow = false;
    let failedToStart: Error | undefined;
    const kill = () => child.kill('SIGKILL');

    child.once('spawn', () => {
      if (child.pid !== undefined) o.onSpawn?.(child.pid);
      if (o.kill?.aborted) kill();
    });
    child.once('error', (error) => {
      failedToStart ??= error;
    });
    o.kill?.addEventListener('abort', kill, { once: true });
    child.stdout?.on('data', (data: Buffer) => {
      stdoutBytes += data.length;
      if (stdoutBytes > (o.stdoutLimit ?? 0)) {
        overflow = true;
        kill();
      } else stdout.push(data);
    });
    readLines(child.stderr, (line) => {
      const stats = parseStats(line);
      if (stats) return o.onStats?.(stats);
      const text = line.trim();
      if (text === '') return;
      if (stderr.first.length < KEPT_STDERR_LINES) return void stderr.first.push(text);
      stderr.last.push(text);
      if (stderr.last.length > KEPT_STDERR_LINES) {
        stderr.last.shift();
        stderr.skipped++;
      }
    });
    child.once('close', (code, signal) => {
      o.kill?.removeEventListener('abort', kill);
      const execFailed = (code === 126 || code === 127) && EXEC_FAILED.test(stderr.first[0] ?? '');
      if (failedToStart || execFailed) {
        const why = failedToStart?.message ?? stderr.first[0] ?? '';
        return reject(new NotStartedError(`${tool} could not be started: ${why}`, { cause: failedToStart }));
      }
      resolve({ code, signal, stdout: Buffer.concat(stdout).toString('utf8'), overflow, stderr });
    });
  });
}

/**
 * Calls `onLine` for each line of `stream`. ffmpeg ends its stats lines with `\r` and everything else
 * with `\n` (fftools/ffmpeg.c, print_report), so both end a line.
 */
function readLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const lines = (pending + text).split(/\r\n|\r|\n/);
    pending = lines.pop() ?? '';
    if (pending.length > MAX_LINE_CHARS) {
      lines.push(pending.slice(0, MAX_LINE_CHARS));
      pending = '';
    }
    for (const line of lines) onLine(line.slice(0, MAX_LINE_CHARS));
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
  });
}

/** The lines `exit.stderr` kept, in order, with a note of how many were skipped between them. */
export function stderrText(exit: Pick<ToolExit, 'stderr'>): string {
  const { first, last, skipped } = exit.stderr;
  return [...first, ...(skipped > 0 ? [`… ${skipped} more lines …`] : []), ...last].join('\n');
}
