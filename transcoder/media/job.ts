/**
 * The shape of an ffmpeg command as the builders return it, and how it becomes ffmpeg's argument list.
 * Every flag and its value are separate elements: they become ffmpeg's argv as they are, with no shell
 * and no splitting in between. `runner.ts` runs these; the builders sit beside the code that runs them.
 */

/** One ffmpeg input: its options (placed before `-i`) and its source. */
export interface FfmpegInput {
  options: string[];
  source: string;
}

/** One ffmpeg output: its options and the file it writes. */
export interface FfmpegOutput {
  options: string[];
  target: string;
}

/** A whole ffmpeg command. `global` holds options that apply to the run, such as `-filter_complex`. */
export interface FfmpegJob {
  global: string[];
  inputs: FfmpegInput[];
  outputs: FfmpegOutput[];
}

/** The argument list of a job, in the order `runner.ts` hands it to ffmpeg (after `-y`). */
export function toArgv(job: FfmpegJob): string[] {
  return [
    ...job.inputs.flatMap((input) => [...input.options, '-i', input.source]),
    ...job.global,
    ...job.outputs.flatMap((output) => [...output.options, output.target]),
  ];
}

/**
 * Options of every run: no banner, never read stdin (a child ffmpeg waiting on an open stdin pipe
 * hangs), errors only, but keep the `time=` stats line that progress is read from (ffmpeg prints it
 * even below the info level when `-stats` is given).
 */
export const COMMON_GLOBAL = ['-hide_banner', '-nostdin', '-v', 'error', '-stats'] as const;
