/**
 * The one place that runs ffmpeg and ffprobe for the service: media slots, time limits, cancellation,
 * progress, a log line for each command, metrics and errors. One runner is made per service
 * (`services.ts`) and handed to jobs in their context; the media functions take it as their first
 * argument. Arguments come ready-made from the builders; processes are started by `tool-process.ts`.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from '../log.ts';
import { mediaFailures, mediaSlotsBusy } from '../metrics.ts';
import { FfmpegError } from './ffmpeg-error.ts';
import { type FfmpegJob, toArgv } from './job.ts';
import {
  NotStartedError,
  runTool,
  type Stats,
  stderrText,
  type Tool,
  type ToolExit,
} from './tool-process.ts';

export interface RunOptions {
  /** Aborting kills the process; the run then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Kill the process after this long and reject with an `FfmpegError` whose `timedOut` is true. */
  timeoutMs?: number;
}

export interface FfmpegRunOptions extends RunOptions {
  /** What ffmpeg's stats line says it has written so far. */
  onProgress?: (stats: Stats) => void;
  /**
   * For a run that judges its input while encoding it: the run fails, as a failure of the input, unless
   * it finished without reporting an error on the way and its first video output got exactly `frames`
   * frames. At `-v error` every stderr line but the stats is an error, and ffmpeg skips past demuxer and
   * decoder errors (a truncated upload's last cluster) with exit code 0; no frame at all means no
   * picture decoded.
   */
  verify?: { frames: number };
}

/** What ffprobe printed, whatever its exit code. */
export interface ProbeRun {
  exitCode: number;
  stdout: string;
  /** The first and last lines of its stderr. */
  stderr: string;
}

export interface MediaRunner {
  /**
   * Runs one ffmpeg job to completion. Resolves when ffmpeg exits 0 (and passes `verify`); rejects with
   * an `FfmpegError` otherwise, or with the signal's reason when aborted.
   */
  ffmpeg(job: FfmpegJob, o?: FfmpegRunOptions): Promise<void>;
  /**
   * Runs ffprobe and resolves with its exit code and output, whatever the code. Rejects with an
   * `FfmpegError` when it was killed (its time limit, a crash, more than 64 MiB of output), with the
   * signal's reason when aborted.
   */
  ffprobe(args: string[], o?: RunOptions): Promise<ProbeRun>;
  /** The same runner, sharing its slots, logging each command through `log` (a job's logger). */
  withLog(log: Logger): MediaRunner;
}

/**
 * A runner with `slots` media slots: ffmpeg and ffprobe runs at a time. Every run is single-threaded
 * (the encoder settings), so this bounds both the CPU and the memory the media work takes, while jobs
 * beyond it (`CONCURRENCY`) download, upload and write playlists meanwhile instead of leaving a core
 * idle. A run's time limit starts when it gets its slot.
 */
export function createMediaRunner(o: { slots: number; log: Logger }): MediaRunner {
  if (!(Number.isInteger(o.slots) && o.slots >= 1)) {
    throw new RangeError(`media slots must be a whole number ≥ 1, got ${o.slots}`);
  }
  return bind(pLimit(o.slots), o.log);
}

function bind(limit: LimitFunction, log: Logger): MediaRunner {
  return {
    ffmpeg: (job, o = {}) => inSlot(limit, 'ffmpeg', o.signal, () => runFfmpeg(log, job, o)),
    ffprobe: (args, o = {}) => inSlot(limit, 'ffprobe', o.signal, () => runFfprobe(log, args, o)),
    withLog: (other) => bind(limit, other),
  };
}

/**
 * A run's time limit, proportional to the media it handles: `baseMs` to start plus `msPerSecond` for each
 * second of media, so a stuck process releases its job long before SQS's 12 h visibility ceiling.
 */
export function runTimeoutMs(mediaSec: number, msPerSecond = 20_000, baseMs = 60_000): number {
  return Math.ceil(baseMs + msPerSecond * Math.max(0, mediaSec));
}

/**
 * Runs `run` in a media slot. A run aborted while it waits for one rejects at once rather than when its
 * turn comes, which could be after another job's whole encode; once started, it settles only when its
 * process has ended, so the caller never cleans up under a live ffmpeg.
 */
function inSlot<T>(
  limit: LimitFunction,
  tool: Tool,
  signal: AbortSignal | undefined,
  run: () => Promise<T>,
): Promise<T> {
  let started = false;
  const queued = limit(async () => {
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

const PROBE_STDOUT_LIMIT = 64 * 1024 * 1024;

/** A process that exited by itself, with an exit code. */
type FinishedExit = ToolExit & { code: number };

/**
 * Runs a tool with the caller's signal and time limit, logging the command when it starts and how it
 * ended. Resolves with the exit when `judge` finds nothing wrong with it; rejects with the signal's
 * reason when aborted, and with an `FfmpegError` when the tool never started, ran out of time, was
 * killed by a signal, wrote past `stdoutLimit`, or `judge` says why the exit is a failure.
 */
async function supervised(
  log: Logger,
  tool: Tool,
  args: string[],
  o: RunOptions & {
    stdoutLimit?: number;
    onStats?: (stats: Stats) => void;
    judge?: (exit: FinishedExit) => string | null;
  },
): Promise<FinishedExit> {
  const timer = o.timeoutMs === undefined ? undefined : AbortSignal.timeout(o.timeoutMs);
  const signals = [o.signal, timer].filter((s): s is AbortSignal => s !== undefined);
  const started = performance.now();
  let pid: number | undefined;
  const elapsedMs = () => Math.round(performance.now() - started);
  const failed = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    log.warn(`${tool} failed`, { tool, pid, elapsedMs: elapsedMs(), error: message });
    return error;
  };
  let exit: ToolExit;
  try {
    exit = await runTool(tool, args, {
      kill: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
      stdoutLimit: o.stdoutLimit,
      onStats: o.onStats,
      onSpawn: (id) => {
        pid = id;
        log.info(`${tool} started`, { tool, pid, args });
      },
    });
  } catch (error) {
    if (!(error instanceof NotStartedError)) throw failed(error);
    const details = { tool, args, stderrTail: '', started: false };
    throw failed(new FfmpegError(error.message, details, { cause: error }));
  }
  if (o.signal?.aborted) throw failed(o.signal.reason);
  const details = { tool, args, stderrTail: stderrText(exit) };
  if (exit.code === null && timer?.aborted) {
    const message = `${tool} timed out after ${o.timeoutMs} ms`;
    throw failed(new FfmpegError(message, { ...details, timedOut: true }));
  }
  if (exit.overflow) throw failed(new FfmpegError(`${tool} wrote more than ${o.stdoutLimit} bytes`, details));
  if (exit.code === null) {
    const message = `${tool} was killed with signal ${exit.signal}: ${lastLine(exit)}`;
    throw failed(new FfmpegError(message, details));
  }
  const failure = o.judge?.({ ...exit, code: exit.code });
  if (failure) throw failed(new FfmpegError(failure, details));
  log.info(`${tool} ended`, { tool, pid, elapsedMs: elapsedMs(), exitCode: exit.code });
  return { ...exit, code: exit.code };
}

function lastLine(exit: ToolExit): string {
  return exit.stderr.last.at(-1) ?? exit.stderr.first.at(-1) ?? 'no error output';
}

async function runFfmpeg(log: Logger, job: FfmpegJob, o: FfmpegRunOptions): Promise<void> {
  // Outputs are overwritten: a job writes into a folder of its own, where a file of the same name can
  // only be an earlier attempt's.
  const args = ['-y', ...toArgv(job)];
  let lastFrame: number | null = null;
  await supervised(log, 'ffmpeg', args, {
    ...o,
    onStats: (stats) => {
      lastFrame = stats.frame ?? lastFrame;
      o.onProgress?.(stats);
    },
    judge: (exit) => {
      if (exit.code !== 0) return `ffmpeg exited with code ${exit.code}: ${lastLine(exit)}`;
      return o.verify ? unverified(o.verify.frames, exit.stderr.first[0], lastFrame) : null;
    },
  });
}

/** Why a finished run fails `verify`, or null when it passes. */
function unverified(frames: number, firstError: string | undefined, lastFrame: number | null): string | null {
  if (firstError !== undefined) return `ffmpeg reported an error: ${firstError}`;
  if (lastFrame === 0) return 'no video frame decoded';
  if (lastFrame !== frames) return `ffmpeg wrote ${lastFrame ?? 'no count of'} video frames, not ${frames}`;
  return null;
}

async function runFfprobe(log: Logger, args: string[], o: RunOptions): Promise<ProbeRun> {
  const exit = await supervised(log, 'ffprobe', args, { ...o, stdoutLimit: PROBE_STDOUT_LIMIT });
  return { exitCode: exit.code, stdout: exit.stdout, stderr: stderrText(exit) };
}
