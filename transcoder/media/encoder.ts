/**
 * How every output is encoded: x264 and AAC for the HLS segments, muxed so that segments made apart join
 * cleanly, and mjpeg for analysis frames, thumbnails and storyboard sheets. Pure option lists; the
 * measurements behind the settings are in bench/RESULTS.md, "Encoder and pipeline settings".
 */
import type { Rendition } from '../../contracts/storage.ts';
import { SEGMENT_COLOUR } from './colour.ts';
import type { FfmpegOutput } from './job.ts';
import { AUDIO, RENDITION_LADDER, type Resolution } from './renditions.ts';
import type { SlotTiming } from './timing.ts';

const X264_PRESET = 'veryfast';
/**
 * veryfast with superfast's motion search (diamond, subpixel level 1) but veryfast's macroblock tree, for
 * less CPU at nearly veryfast's sizes; headers at every keyframe, so each segment decodes alone. One
 * thread, a 3-frame lookahead and no B-frames: the service gets its parallelism from one ffmpeg per media
 * slot, so x264's own threads and buffers only cost memory (bench/RESULTS.md, "Encoder and pipeline
 * settings").
 */
const X264_PARAMS = 'repeat-headers=1:me=dia:subme=1:threads=1:rc-lookahead=3:bframes=0';
/** Decoder and filter graph on one thread each too, for the same reason. */
export const SINGLE_THREAD = ['-threads', '1'] as const;
const X264_CRF = '23';
/** mjpeg qscale (2 best … 31 worst): sharp enough to read code on a 1280 px frame. */
export const FRAME_QUALITY = '3';
export const THUMBNAIL_QUALITY = '5';

/** One rendition a run writes: its size (computed by the caller from the source) and its file. */
export interface SegmentTarget {
  rendition: Rendition;
  size: Resolution;
  target: string;
}

/** How every segment is muxed, placed at its `-output_ts_offset`, so segments made apart join cleanly. */
export const SEGMENT_MUXING = [
  // The mpegts muxer otherwise adds 2 × max_delay (1.4 s) to every timestamp; with it off the segment
  // starts exactly at its offset (libavformat/mpegtsenc.c, `copyts`).
  '-mpegts_copyts',
  '1',
  // Each file restarts its continuity counters; flagging the discontinuity keeps readers from reporting
  // "Packet corrupt" at every join (seen with `ffmpeg -i master.m3u8 -f null -` before this flag, not after).
  '-mpegts_flags',
  '+initial_discontinuity',
  '-f',
  'mpegts',
] as const;

/** Encoder and muxer options of a segment; one function so chunks and placeholders concatenate cleanly. */
export function segmentOutput(
  seg: SegmentTarget,
  timing: SlotTiming,
  videoLabel: string,
  audioLabel: string,
): FfmpegOutput {
  const spec = RENDITION_LADDER[seg.rendition];
  return {
    options: [
      '-map',
      `[${videoLabel}]`,
      '-map',
      `[${audioLabel}]`,
      '-c:v',
      'libx264',
      '-preset',
      X264_PRESET,
      '-profile:v',
      'high',
      '-level:v',
      spec.level,
      '-crf',
      X264_CRF,
      '-maxrate:v',
      `${spec.maxrateKbps}k`,
      '-bufsize:v',
      `${spec.bufsizeKbps}k`,
      // One keyframe, the first frame: the GOP is longer than the segment and scene cuts add none.
      '-g',
      String(timing.frameCount),
      '-sc_threshold',
      '0',
      '-x264-params',
      X264_PARAMS,
      ...SEGMENT_COLOUR,
      '-c:a',
      'aac',
      '-b:a',
      `${AUDIO.bitrateKbps}k`,
      '-output_ts_offset',
      timing.offsetSec.toFixed(6),
      ...SEGMENT_MUXING,
    ],
    target: seg.target,
  };
}

/**
 * JPEG images numbered from 0, written exactly as the graph emits them (no frame-rate fixing). One
 * encoder thread, like every encode here.
 */
export function imagesOutput(label: string, quality: string, pattern: string): FfmpegOutput {
  return {
    options: [
      '-map',
      `[${label}]`,
      '-fps_mode',
      'passthrough',
      '-c:v',
      'mjpeg',
      ...SINGLE_THREAD,
      '-q:v',
      quality,
      '-start_number',
      '0',
      '-f',
      'image2',
    ],
    target: pattern,
  };
}
