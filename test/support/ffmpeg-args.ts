/** Reading the argument lists the ffmpeg builders return, and a chunk plan to vary, for their unit tests. */
import type { ChunkEncodePlan } from '../../transcoder/media/chunk.ts';
import type { SegmentTarget } from '../../transcoder/media/encoder.ts';
import type { FfmpegJob } from '../../transcoder/media/job.ts';
import { slotTiming } from '../../transcoder/media/timing.ts';

const HD = { width: 1920, height: 1080 };
export const LADDER: SegmentTarget[] = [
  { rendition: '360p', size: { width: 640, height: 360 }, target: 'out/360p/c.ts' },
  { rendition: '480p', size: { width: 854, height: 480 }, target: 'out/480p/c.ts' },
  { rendition: '720p', size: { width: 1280, height: 720 }, target: 'out/720p/c.ts' },
];

/** A 1080p chunk without audio into the whole ladder, over 5 s from 5 s at 10 fps, with `overrides`. */
export function chunkPlan(overrides: Partial<ChunkEncodePlan> = {}): ChunkEncodePlan {
  return {
    input: 'in/chunk.webm',
    source: HD,
    hasAudio: false,
    timing: slotTiming({ startSec: 5, durationSec: 5 }, 10),
    fps: 10,
    segments: LADDER,
    scaleFlags: 'bilinear',
    ...overrides,
  };
}

/** The value following `flag` in each place it occurs. */
export function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

/** The filters of a job's `-filter_complex` graph. */
export function graphOf(job: FfmpegJob): string[] {
  return (valuesOf(job.global, '-filter_complex')[0] ?? '').split(';');
}

/** The options of the output writing `target`. */
export function outputFor(job: FfmpegJob, target: string): string[] {
  const output = job.outputs.find((o) => o.target === target);
  if (!output) throw new Error(`no output ${target}`);
  return output.options;
}
