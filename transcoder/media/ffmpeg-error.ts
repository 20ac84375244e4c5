/** How an ffmpeg or ffprobe run failed, and whether that says anything about its input. */
import type { Tool } from './tool-process.ts';

/** A run that failed: the arguments it ran with and the lines it wrote to stderr. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  readonly tool: Tool;
  readonly args: string[];
  /** Its stderr: the first and the last lines, stats aside. */
  readonly stderrTail: string;
  readonly timedOut: boolean;
  /** False when the process never started (not installed, no memory to spawn): nothing about the input. */
  readonly started: boolean;

  constructor(
    message: string,
    details: { tool: Tool; args: string[]; stderrTail: string; timedOut?: boolean; started?: boolean },
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
 * and failed on its own (an error exit, a crash, output past its bound). A timeout is not: a busy machine
 * can cause it, so it is worth another attempt.
 */
export function isInputFailure(error: unknown): error is FfmpegError {
  return error instanceof FfmpegError && error.started && !error.timedOut;
}
