/**
 * Where a slot of the session timeline lands on the frame grid and on the AAC frame grid, and the analysis
 * frames' count and names. Pure arithmetic.
 */
import { AAC_FRAME_SAMPLES, AUDIO } from './renditions.ts';

/** A stretch of the session timeline, in seconds from the session start. */
export interface Slot {
  startSec: number;
  durationSec: number;
}

/**
 * Frame rate of every segment: 15 fps would cost 45 % more CPU than the ≥ 8× realtime target on two cores
 * allows (bench/RESULTS.md, "Encoder and pipeline settings"), and screens change at about 7 fps.
 */
export const DEFAULT_FPS = 10;

/**
 * Added to every segment's timestamps. Segments are encoded one at a time, and a muxer shifts a stream
 * whose first timestamp would be negative (B-frames, or the AAC priming frame, put it before 0) — but
 * only that segment, so DTS then ran backwards at the first join. A constant offset keeps every timestamp
 * positive and every join continuous (bench/RESULTS.md, "Encoder and pipeline settings"). Players start
 * at the first segment anyway.
 */
export const TIMELINE_BASE_OFFSET_SEC = 10;

/** Where a slot lands on the frame and AAC grids, and everything derived from that. */
export interface SlotTiming {
  /** First frame of the slot on the session's frame grid: `round(startSec × fps)`. */
  startFrame: number;
  /** Frames in the segment: `round(end × fps) − round(start × fps)`, so consecutive slots tile. */
  frameCount: number;
  /** The slot as encoded: start and length on the frame grid. Use these for EXTINF. */
  startSec: number;
  durationSec: number;
  /** `-output_ts_offset`: where the segment's first frame sits in its timestamps. */
  offsetSec: number;
  audio: {
    /**
     * Samples of the slot's own audio dropped at its start. The AAC encoder emits one priming frame
     * before the first input sample (ffmpeg's aac sets initial_padding to 1024), and MPEG-TS has no
     * edit list to hide it, so each segment's audio starts one AAC frame before its first sample.
     * Starting that frame on a global 1024-sample grid makes each segment's audio begin exactly where
     * the previous one ended, keeping audio in sync to the sample at the price of ≤ 32 ms at each join.
     */
    skipSamples: number;
    /** Samples encoded after those: whole AAC frames up to the next slot's grid point. */
    sampleCount: number;
  };
}

function assertFps(fps: number): void {
  if (!Number.isInteger(fps) || fps < 1 || fps > 60 || AUDIO.sampleRate % fps !== 0) {
    throw new RangeError(
      `fps must be an integer from 1 to 60 that divides ${AUDIO.sampleRate} (so frames start on audio samples), got ${fps}`,
    );
  }
}

/** Places a slot on the frame grid of `fps` and on the AAC frame grid. Throws on a slot too short to encode. */
export function slotTiming(slot: Slot, fps: number): SlotTiming {
  assertFps(fps);
  if (!(Number.isFinite(slot.startSec) && slot.startSec >= 0 && Number.isFinite(slot.durationSec))) {
    throw new RangeError(`a slot needs a start ≥ 0 and a finite duration, got ${JSON.stringify(slot)}`);
  }
  const startFrame = Math.round(slot.startSec * fps);
  const endFrame = Math.round((slot.startSec + slot.durationSec) * fps);
  const samplesPerFrame = AUDIO.sampleRate / fps;
  const startSample = startFrame * samplesPerFrame;
  const endSample = endFrame * samplesPerFrame;
  const firstAacFrame = Math.round(startSample / AAC_FRAME_SAMPLES);
  const endAacFrame = Math.round(endSample / AAC_FRAME_SAMPLES);
  // Two AAC frames: the priming one and at least one of the slot's own audio.
  if (endFrame - startFrame < 1 || endAacFrame - firstAacFrame < 2) {
    throw new RangeError(
      `slot ${JSON.stringify(slot)} is too short to encode at ${fps} fps (needs one frame and ${(2 * AAC_FRAME_SAMPLES * 1000) / AUDIO.sampleRate} ms of audio)`,
    );
  }
  return {
    startFrame,
    frameCount: endFrame - startFrame,
    startSec: startFrame / fps,
    durationSec: (endFrame - startFrame) / fps,
    offsetSec: TIMELINE_BASE_OFFSET_SEC + startFrame / fps,
    audio: {
      skipSamples: (firstAacFrame + 1) * AAC_FRAME_SAMPLES - startSample,
      sampleCount: (endAacFrame - firstAacFrame - 1) * AAC_FRAME_SAMPLES,
    },
  };
}

/** How many analysis frames a segment of `durationSec` yields at `framesFps`: one per started period. */
export function frameCount(durationSec: number, framesFps: number): number {
  return Math.ceil(durationSec * framesFps - 1e-9);
}

/** Milliseconds from the chunk start of analysis frame `index` (the frame's name minus the chunk start). */
export function frameOffsetMs(index: number, framesFps: number): number {
  return Math.round((index * 1000) / framesFps);
}
