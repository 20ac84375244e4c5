/**
 * Black video and silence for a slot with no usable chunk, encoded like a chunk's segments so the two
 * concatenate: the ffmpeg run (`placeholderJob`, pure) and the effects around it.
 */
import type { Rendition } from '../../contracts/storage.ts';
import { type SegmentTarget, segmentOutput } from './encoder.ts';
import { labels, SILENCE, segmentAudio } from './filters.ts';
import { COMMON_GLOBAL, type FfmpegJob } from './job.ts';
import { type MediaRunner, runTimeoutMs } from './runner.ts';
import {
  encoded,
  type RenditionSizes,
  removeFiles,
  type SegmentsResult,
  segmentTargets,
} from './segments.ts';
import { DEFAULT_FPS, type Slot, type SlotTiming, slotTiming } from './timing.ts';

export interface PlaceholderPlan {
  timing: SlotTiming;
  fps: number;
  segments: SegmentTarget[];
}

/**
 * Black video and silence of exactly the slot's frame count, encoded like a chunk segment so the two
 * concatenate without a parameter or timestamp change. Encoded fresh rather than re-timestamping a stock
 * segment: the audio must start on the slot's AAC grid point, which differs from slot to slot.
 */
export function placeholderJob(plan: PlaceholderPlan): FfmpegJob {
  const { timing, segments } = plan;
  if (segments.length === 0) throw new RangeError('a placeholder needs at least one rendition');
  const video = labels('v', segments.length);
  const audio = labels('a', segments.length);
  const graph = [
    ...segments.map(
      (seg, i) =>
        `color=c=black:s=${seg.size.width}x${seg.size.height}:r=${plan.fps},` +
        `trim=end_frame=${timing.frameCount},format=yuv420p,setsar=1[${video[i]}]`,
    ),
    segmentAudio(SILENCE, timing, audio),
  ];
  return {
    global: [...COMMON_GLOBAL, '-filter_complex', graph.join(';')],
    inputs: [],
    outputs: segments.map((seg, i) => segmentOutput(seg, timing, video[i] ?? '', audio[i] ?? '')),
  };
}

export interface EncodePlaceholderOptions {
  outDir: string;
  name: string;
  slot: Slot;
  renditions: Rendition[];
  /** The size of each rendition (as the chunks around it were encoded); required for every rendition. */
  resolutions: RenditionSizes;
  fps?: number;
  signal?: AbortSignal;
}

/**
 * Black video and silence for a slot with no usable chunk: segments that concatenate with chunk
 * segments of the same renditions without a timestamp or parameter change.
 */
export async function encodePlaceholder(
  media: MediaRunner,
  o: EncodePlaceholderOptions,
): Promise<SegmentsResult> {
  const fps = o.fps ?? DEFAULT_FPS;
  const timing = slotTiming(o.slot, fps);
  const segments = await segmentTargets(o.outDir, o.name, o.renditions, o.resolutions);
  try {
    await media.ffmpeg(placeholderJob({ timing, fps, segments }), {
      signal: o.signal,
      timeoutMs: runTimeoutMs(timing.durationSec),
    });
  } catch (error) {
    await removeFiles(segments.map((s) => s.target));
    throw error;
  }
  return encoded(segments, timing);
}
