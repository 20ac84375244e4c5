/**
 * The one place that starts ffmpeg and ffprobe: spawning, logging hooks, progress, cancellation and
 * errors. fluent-ffmpeg stays behind this module (its GitHub repository, fluent-ffmpeg/node-fluent-ffmpeg,
 * was archived in May 2025 and its README asks for maintainers), so replacing it touches nothing else. Arguments come ready-made from `args.ts`.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import ffmpeg from 'fluent-ffmpeg';
import pLimit from 'p-limit';
import { mediaFailures, mediaSlotsBusy } from '../metrics.ts';
import { type FfmpegJob, toArgv } from './args.ts';

/**
 * ffmpeg and ffprobe runs at a time in this process, one per core by default. Every run is
 * single-threaded (`args.ts`), so this bounds both the CPU and the memory the media work takes, while
 * jobs beyond it (`CONCURRENCY`) download, upload and write playlists meanwhile instead of leaving a
 * core idle. A run's time limit starts when it gets its slot.
 */
const mediaSlots = pLimit(availableParallelism());

/** Sets how many ffmpeg and ffprobe runs may go at once (the service's `MEDIA_SLOTS`). */
export function setMediaSlots(count: number): void {
  mediaSlots.concurrency = count;
}

/**
 * Runs `run` in a media slot. A run aborted while it waits for one rejects at once rather than when its
 * turn comes, which could be after another job's whole encode; once started, it settles only when its
 * process has ended, so the caller never cleans up under a live ffmpeg.
 */
function inMediaSlot<T>(
  tool: 'ffmpeg' | 'ffprobe',
  signal: AbortSignal | undefined,
  run: () => Promise<T>,
): Promise<T> {
  let started = false;
  const queued = mediaSlots(async () => {
    started = true;
    if (signal?.aborted) throw signal.reason;
    mediaSlotsBusy.inc();
    try {
      return await run();
    } catch (error) {
      mediaFailures.inc({ tool, reason: failureReason(error, signal) });
      throw error;
    } finally {
      mediaSlotsBusy.dec();
    }
  });
  if (!signal) return queued;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      if (!started) reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    queued.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Why a run failed, for the failure counter: stopped from outside, out of time, never started, or its input. */
function failureReason(error: unknown, signal: AbortSignal | undefined) {
  if (signal?.aborted) return 'aborted';
  if (!(error instanceof FfmpegError)) return 'other';
  if (!error.started) return 'spawn';
  return error.timedOut ? 'timeout' : 'input';
}

/** What a run reports to a logger: one entry when it starts and one when it ends. */
export interface MediaLogEntry {
  tool: 'ffmpeg' | 'ffprobe';
  event: 'start' | 'end' | 'error';
  args: string[];
  elapsedMs?: number;
  error?: string;
}
export type MediaLog = (entry: MediaLogEntry) => void;

export interface RunOptions {
  /** Aborting kills the process; the run then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Kill the process after this long and reject with an `FfmpegError` whose `timedOut` is true. */
  timeoutMs?: number;
  /** What ffmpeg's stats line says it has written so far. */
  onProgress?: (stats: Stats) => void;
  log?: MediaLog;
  /**
   * For a run that judges its input while encoding it: the run fails, as a failure of the input, unless
   * it finished without reporting an error on the way and its first video output got exactly `frames`
   * frames. At `-v error` every stderr line but the stats is an error, and ffmpeg skips past demuxer and
   * decoder errors (a truncated upload's last cluster) with exit code 0; no frame at all means no
   * picture decoded.
   */
  verify?: { frames: number };
}

/** A run that failed: the arguments it ran with and the end of what it wrote to stderr. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  readonly tool: 'ffmpeg' | 'ffprobe';
  readonly args: string[];
  readonly stderrTail: string;
  readonly timedOut: boolean;
  /** False when the process never started (not installed, no memory to spawn): nothing about the input. */
  readonly started: boolean;

  constructor(
    message: string,
    details: {
      tool: 'ffmpeg' | 'ffprobe';
      args: string[];
      stderrTail: string;
      timedOut?: boolean;
      started?: boolean;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.tool = details.tool;
    this.args = details.args;
    this.stderrTail = details.stderrTail;
    this.timedOut = details.timedOut ?? false;
    this.started = details.started ?? true;
  }
}

/**
 * Whether an error says the input is bad rather than that the run was interrupted: ffmpeg or ffprobe ran
 * and failed on its own (an error exit, a crash, output past its buffer). A timeout is not: a busy machine
 * can cause it, so it is worth another attempt.
 */
export function isInputFailure(error: unknown): error is FfmpegError {
  return error instanceof FfmpegError && error.started && !error.timedOut;
}

/**
 * A run's time limit, proportional to the media it handles: `baseMs` to start plus `msPerSecond` for each
 * second of media, so a stuck process releases its job long before SQS's 12 h visibility ceiling.
 */
export function runTimeoutMs(mediaSec: number, msPerSecond = 20_000, baseMs = 60_000): number {
  return Math.ceil(baseMs + msPerSecond * Math.max(0, mediaSec));
}

const STDERR_TAIL_LINES = 20;
const STATS_LINE = /^frame=|^size=|time=-?\d+:\d\d:\d\d/;
const FRAME = /^frame=\s*(\d+)/;
const TIME = /time=(\d+):(\d\d):(\d\d(?:\.\d+)?)/;

/**
 * Progress from a stats line: `frame` is the first output's video frame count, `seconds` the time
 * written. Under `-copyts` ffmpeg measures that time from the first value it happened to report
 * (fftools/ffmpeg.c, print_report), so runs that keep input timestamps count frames instead.
 */
export interface Stats {
  frame: number | null;
  seconds: number | null;
}

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

/** The caller's signal, plus a timer if asked; `timedOut()` tells which of them fired. */
function combinedSignal(o: RunOptions): { signal?: AbortSignal; timedOut: () => boolean } {
  const timer = o.timeoutMs === undefined ? undefined : AbortSignal.timeout(o.timeoutMs);
  const signals = [o.signal, timer].filter((s): s is AbortSignal => s !== undefined);
  return {
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
    timedOut: () => timer?.aborted === true && o.signal?.aborted !== true,
  };
}

/**
 * Runs one ffmpeg job to completion. Resolves when ffmpeg exits 0; rejects with an `FfmpegError`
 * (exit code, stderr tail, arguments) otherwise, or with the signal's reason when aborted.
 */
export function runFfmpeg(job: FfmpegJob, o: RunOptions = {}): Promise<void> {
  return inMediaSlot('ffmpeg', o.signal, () => runFfmpegNow(job, o));
}

function runFfmpegNow(job: FfmpegJob, o: RunOptions): Promise<void> {
  const args = toArgv(job);
  const { signal, timedOut } = combinedSignal(o);
  return new Promise<void>((resolve, reject) => {
    const tail: string[] = [];
    let firstError: string | undefined;
    let lastFrame: number | null = null;
    const started = performance.now();
    const command = ffmpeg({ stdoutLines: STDERR_TAIL_LINES });
    for (const input of job.inputs) {
      command.input(input.source);
      addOptions(input.options, (opts) => command.inputOptions(...opts));
    }
    job.outputs.forEach((output, i) => {
      command.output(output.target);
      // Global options go with the first output: ffmpeg reads them anywhere, and a job may have no input.
      addOptions(i === 0 ? [...job.global, ...output.options] : output.options, (opts) =>
        command.outputOptions(...opts),
      );
    });
    // fluent-ffmpeg spawns only after its capability checks; an abort before that kills on start.
    let spawned = false;
    const onAbort = () => {
      if (spawned) command.kill('SIGKILL');
    };
    const finish = (error?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      const elapsedMs = Math.round(performance.now() - started);
      o.log?.({ tool: 'ffmpeg', event: error ? 'error' : 'end', args, elapsedMs, error: error?.message });
      if (error) reject(error);
      else resolve();
    };
    command.on('start', () => {
      spawned = true;
      o.log?.({ tool: 'ffmpeg', event: 'start', args });
      if (signal?.aborted) command.kill('SIGKILL');
    });
    command.on('stderr', (line: string) => {
      const stats = parseStats(line);
      if (stats) {
        lastFrame = stats.frame ?? lastFrame;
        o.onProgress?.(stats);
      } else if (line.trim() !== '') {
        firstError ??= line.trim();
        tail.push(line);
        if (tail.length > STDERR_TAIL_LINES) tail.shift();
      }
    });
    command.on('end', () => {
      const failed = o.verify && unverified(o.verify.frames, firstError, lastFrame);
      if (!failed) return finish();
      finish(new FfmpegError(failed, { tool: 'ffmpeg', args, stderrTail: tail.join('\n') }));
    });
    command.on('error', (err: Error) => {
      if (o.signal?.aborted) return finish(o.signal.reason);
      const expired = timedOut();
      const message = expired
        ? `ffmpeg timed out after ${o.timeoutMs} ms`
        : `${err.message.split(':')[0]}: ${tail.at(-1) ?? 'no error output'}`;
      finish(
        new FfmpegError(
          message,
          { tool: 'ffmpeg', args, stderrTail: tail.join('\n'), timedOut: expired, started: spawned },
          { cause: err },
        ),
      );
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    command.run();
  });
}

/** Why a finished run fails `verify`, or null when it passes. */
function unverified(frames: number, firstError: string | undefined, lastFrame: number | null): string | null {
  if (firstError !== undefined) return `ffmpeg reported an error: ${firstError}`;
  if (lastFrame === 0) return 'no video frame decoded';
  if (lastFrame !== frames) return `ffmpeg wrote ${lastFrame ?? 'no count of'} video frames, not ${frames}`;
  return null;
}

/**
 * fluent-ffmpeg splits a lone option string at its single space (lib/options/custom.js), so options
 * are always passed as separate arguments, and a lone option holding a space is refused outright.
 */
function addOptions(options: string[], add: (options: string[]) => void): void {
  if (options.length === 0) return;
  if (options.length === 1 && options[0]?.includes(' ')) {
    throw new TypeError(`a lone ffmpeg option must not contain a space: ${options[0]}`);
  }
  add(options);
}

export interface ProbeRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const PROBE_MAX_BUFFER = 64 * 1024 * 1024;

/**
 * Runs ffprobe and resolves with its exit code and output, whatever the code. ffprobe is spawned here
 * rather than through fluent-ffmpeg's `ffprobe()`, which can be neither killed nor timed out and keeps
 * no stderr on success (lib/ffprobe.js) — and a probe of an upload must be bounded and must see stderr.
 * Rejects with an `FfmpegError` (`timedOut`) on timeout, with the signal's reason when aborted.
 */
export function runFfprobe(args: string[], o: Omit<RunOptions, 'onProgress'> = {}): Promise<ProbeRun> {
  return inMediaSlot('ffprobe', o.signal, () => runFfprobeNow(args, o));
}

function runFfprobeNow(args: string[], o: Omit<RunOptions, 'onProgress'>): Promise<ProbeRun> {
  const { signal, timedOut } = combinedSignal(o);
  const started = performance.now();
  o.log?.({ tool: 'ffprobe', event: 'start', args });
  return new Promise<ProbeRun>((resolve, reject) => {
    execFile(
      process.env.FFPROBE_PATH ?? 'ffprobe',
      args,
      { signal, killSignal: 'SIGKILL', maxBuffer: PROBE_MAX_BUFFER, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const elapsedMs = Math.round(performance.now() - started);
        const code = error && typeof error.code === 'number' ? error.code : error ? null : 0;
        if (code !== null) {
          o.log?.({ tool: 'ffprobe', event: 'end', args, elapsedMs });
          return resolve({ exitCode: code, stdout, stderr });
        }
        o.log?.({ tool: 'ffprobe', event: 'error', args, elapsedMs, error: error?.message });
        if (o.signal?.aborted) return reject(o.signal.reason);
        const expired = timedOut();
        reject(
          new FfmpegError(
            expired ? `ffprobe timed out after ${o.timeoutMs} ms` : `ffprobe failed: ${error?.message}`,
            {
              tool: 'ffprobe',
              args,
              stderrTail: stderr.split('\n').slice(-STDERR_TAIL_LINES).join('\n'),
              timedOut: expired,
              // execFile reports a failed spawn with `syscall: 'spawn <file>'` (node:child_process).
              started: !error?.syscall?.startsWith('spawn'),
            },
            { cause: error },
          ),
        );
      },
    );
  });
}
