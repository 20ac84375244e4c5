/**
 * Pure builders of ffmpeg argument lists, from typed plans (the probe's ffprobe arguments are beside it, in
 * `probe.ts`). Nothing here touches a file or a process; `runner.ts` runs what these return, and the unit
 * tests read the arrays directly.
 *
 * Every flag and its value are separate elements: they become ffmpeg's argv as they are, with no shell
 * and no splitting in between.
 */
import type { Rendition } from '../../contracts/storage.ts';
import { SEGMENT_COLOUR, type SourceColour, toLimitedBt709 } from './colour.ts';
import { chunkInputOptions } from './input.ts';
import { AAC_FRAME_SAMPLES, AUDIO, RENDITION_LADDER, type Resolution } from './renditions.ts';

/** A stretch of the session timeline, in seconds from the session start. */
export interface Slot {
  startSec: number;
  durationSec: number;
}

/**
 * Frame rate of every segment. The issue asks for chunk processing at ≥ 8× realtime on two cores for
 * three renditions and frames of a 1080p screen recording. Measured with `encodeChunk` on a 5 s 1080p
 * screen-like VFR chunk (8 fps of changes), two cores: 1.06 CPU-s a chunk at 10 fps, 9.8× realtime two
 * chunks at a time (6.7× one at a time); 15 fps costs 45 % more CPU, below the target. A screen
 * recording averages about 7 fps of real changes (a 301.6 s Chromium MediaRecorder recording of a code
 * editor, 1080p VP8, measured on this project's machine), so little is lost.
 */
export const DEFAULT_FPS = 10;

/**
 * Added to every segment's timestamps. Segments are encoded one at a time, and a muxer shifts a stream
 * whose first timestamp would be negative (B-frames, or the AAC priming frame, put it before 0) — but
 * only that segment, so DTS then ran backwards at the first join. A constant offset keeps every timestamp
 * positive and every join continuous (measured: with the shift on segment 0 only, DTS ran backwards
 * between segments 0 and 1; with a 10 s constant, every DTS step was exactly 1/fps). Players start at the
 * first segment anyway.
 */
export const TIMELINE_BASE_OFFSET_SEC = 10;

/** Frames per second of the analysis frames when the caller does not say. */
export const DEFAULT_FRAMES_FPS = 1;
/** Analysis frames are at most this wide (never upscaled). */
export const FRAME_MAX_WIDTH = 1280;
/** Thumbnails of the analysis frames are this wide. */
export const THUMBNAIL_WIDTH = 160;

const X264_PRESET = 'veryfast';
/**
 * veryfast with superfast's motion search (diamond, subpixel level 1) but veryfast's macroblock tree:
 * 15–20 % less CPU per chunk for segments within 4 % of veryfast's size, where superfast (no mbtree)
 * was 30–60 % larger on screen content (measured on a 1080p screen chunk, 3 renditions). Headers are
 * repeated at every keyframe so each segment decodes alone.
 *
 * One thread and a 3-frame lookahead: the service runs one ffmpeg per media slot (one per core) and gets
 * its parallelism from running them side by side, so x264's own frame threads only add buffers and
 * synchronisation. Measured on a 5 s 1080p screen chunk, 3 renditions + frames: peak RSS 277 → 192 MB
 * and CPU about a fifth lower, segments the same size (lookahead 10 → 5 changed nothing, 5 → 3 saved
 * 10 MB and made segments 1–2 % smaller; 0 turns the macroblock tree off, +33 %). No B-frames: on screen
 * chunks they made segments 1–3 % larger, not smaller, and cost 32 MB and a tenth of the CPU per run
 * (193 → 161 MB, three chunks of the benchmark).
 */
const X264_PARAMS = 'repeat-headers=1:me=dia:subme=1:threads=1:rc-lookahead=3:bframes=0';
/** Decoder and filter graph on one thread each too, for the same reason (−7 MB, less CPU per chunk). */
const SINGLE_THREAD = ['-threads', '1'] as const;
const X264_CRF = '23';
/** mjpeg qscale (2 best … 31 worst): sharp enough to read code on a 1280 px frame. */
const FRAME_QUALITY = '3';
const THUMBNAIL_QUALITY = '5';

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
function segmentOutput(
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

/** Aspect ratios closer than this are the same picture rounded to even sizes: scale, do not letterbox. */
const SAME_ASPECT = 0.01;

/**
 * Scales a picture of size `from` to exactly `to`, with the scale filter's `options` (`a=b:c=d`). When
 * the aspect ratios really differ (a session's sizes imposed on a chunk of another shape) the picture is
 * fitted inside and letterboxed, not stretched.
 */
function scaleTo(from: Resolution, to: Resolution, options?: string): string {
  const withFlags = options ? `:${options}` : '';
  const ratio = from.width / from.height / (to.width / to.height);
  if (Math.abs(ratio - 1) <= SAME_ASPECT) return `scale=${to.width}:${to.height}${withFlags},setsar=1`;
  // The fitted size as expressions of the input's (so a picture resized mid-chunk is fitted anew), even
  // and never below 2: force_original_aspect_ratio rounds a very wide picture's height down to 0, which
  // the scaler refuses.
  const fitted = (side: 'iw' | 'ih') => `'max(2,2*trunc(min(${to.width}/iw,${to.height}/ih)*${side}/2))'`;
  return `scale=w=${fitted('iw')}:h=${fitted('ih')}${withFlags},pad=${to.width}:${to.height}:-1:-1,setsar=1`;
}

/** One scaler in a cascade: its output size, and the scaler it reads from (-1: the source). */
export interface ScaleStep {
  size: Resolution;
  from: number;
}

/**
 * Scalers for a set of output sizes: each distinct size once, largest first, each made from the
 * smallest already-made picture at least as large in both dimensions. Scaling 1080p → 720p → 480p → 360p
 * costs a third of scaling 1080p three times, and every step stays a ≤ 1.5× reduction.
 */
export function scaleCascade(sizes: Resolution[]): ScaleStep[] {
  const distinct = [...new Map(sizes.map((s) => [`${s.width}x${s.height}`, s])).values()].sort(
    (a, b) => b.width * b.height - a.width * a.height,
  );
  return distinct.map((size, i) => {
    let from = -1;
    for (let j = 0; j < i; j++) {
      const made = distinct[j];
      if (made && made.width >= size.width && made.height >= size.height) from = j;
    }
    return { size, from };
  });
}

function labels(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

function splitInto(filter: 'split' | 'asplit', outs: string[]): string {
  return `${filter}=${outs.length}${outs.map((l) => `[${l}]`).join('')}`;
}

/** The audio of a segment: `source` resampled, padded and cut to the slot's place on the AAC grid. */
function segmentAudio(source: string, timing: SlotTiming, outs: string[]): string {
  const { skipSamples, sampleCount } = timing.audio;
  return (
    `${source}aformat=sample_fmts=fltp:sample_rates=${AUDIO.sampleRate}:channel_layouts=mono,apad,` +
    `atrim=start_sample=${skipSamples}:end_sample=${skipSamples + sampleCount},${splitInto('asplit', outs)}`
  );
}

/** Silence as a filter-graph source: no extra input, same format as a chunk's converted audio. */
const SILENCE = `anullsrc=r=${AUDIO.sampleRate}:cl=mono,`;
/**
 * A chunk's audio from its time 0, gaps and a late start filled with silence by timestamp (`async`), so
 * sample n is at n / rate seconds and stays in step with the video's time 0. Cut first at the slot's end
 * (plus a second for the AAC grid): audio far past it would otherwise be resampled, and a stream starting
 * far past it would have `async` buffer silence up to its start.
 */
function chunkAudio(timing: SlotTiming): string {
  return `[0:a:0]atrim=end=${(timing.durationSec + 1).toFixed(6)},aresample=${AUDIO.sampleRate}:async=1:first_pts=0,`;
}

export interface FramesPlan {
  /** image2 patterns (`…%d.jpg`), numbered from 0 in frame order; the caller renames them. */
  pattern: string;
  thumbsPattern: string;
  fps: number;
  size: Resolution;
  thumbSize: Resolution;
}

export interface ChunkEncodePlan {
  /** The chunk as a local file named with its extension, which says how it is read (`input.ts`). */
  input: string;
  /** The chunk's picture size and declared colours, from its probe. */
  source: Resolution & SourceColour;
  /** The chunk has an audio stream: keep it; otherwise the segment carries silence. */
  hasAudio: boolean;
  timing: SlotTiming;
  fps: number;
  segments: SegmentTarget[];
  frames?: FramesPlan;
  /** swscale algorithm of the rendition scalers. */
  scaleFlags: string;
}

/** How many analysis frames a segment of `durationSec` yields at `framesFps`: one per started period. */
export function frameCount(durationSec: number, framesFps: number): number {
  return Math.ceil(durationSec * framesFps - 1e-9);
}

/** Milliseconds from the chunk start of analysis frame `index` (the frame's name minus the chunk start). */
export function frameOffsetMs(index: number, framesFps: number): number {
  return Math.round((index * 1000) / framesFps);
}

/**
 * One run for a chunk: decode once, scale through a cascade (on the source's own frames, before any
 * are duplicated), then per output make it constant-rate, hold the last picture to fill the slot (a
 * MediaRecorder chunk ends at its last frame, often seconds before its wall-clock end) and cut at the
 * slot's frame count; analysis frames and thumbnails come out of the same run.
 * The cut is a `trim` in the graph, not `-frames:v`: that would close the output while the audio encoder
 * still holds its last frames, leaving the segment's audio short.
 */
export function chunkEncodeJob(plan: ChunkEncodePlan): FfmpegJob {
  const { timing, segments, frames } = plan;
  if (segments.length === 0) throw new RangeError('a chunk needs at least one rendition');
  const steps = scaleCascade([...segments.map((s) => s.size), ...(frames ? [frames.size] : [])]);
  const stepOf = (size: Resolution) =>
    steps.findIndex((s) => s.size.width === size.width && s.size.height === size.height);
  // What each picture (-1: the decoded source, i: scaler i) feeds: later scalers and outputs.
  const feeds = new Map<number, string[]>();
  const feed = (from: number, label: string) => {
    feeds.set(from, [...(feeds.get(from) ?? []), label]);
  };
  for (const [i, step] of steps.entries()) feed(step.from, `scale${i}`);
  for (const [i, seg] of segments.entries()) feed(stepOf(seg.size), `seg${i}`);
  if (frames) feed(stepOf(frames.size), 'frame');
  const fanOut = (from: number) => {
    const labels = feeds.get(from) ?? [];
    return labels.length === 1 ? `[${labels[0]}]` : `,${splitInto('split', labels)}`;
  };
  const audio = labels('a', segments.length);
  const graph = [
    `[0:v:0]null${fanOut(-1)}`,
    ...steps.map((step, i) => {
      const from = steps[step.from]?.size;
      // Pictures are converted once, by the scalers reading the source. The format after them keeps
      // ffmpeg from negotiating another there (the frames' JPEG encoder takes yuvj420p) and converting
      // the range again with its own defaults.
      const scaled = from
        ? scaleTo(from, step.size, `flags=${plan.scaleFlags}`)
        : `${scaleTo(plan.source, step.size, `flags=${plan.scaleFlags}:${toLimitedBt709(plan.source)}`)},format=yuv420p`;
      return `[scale${i}]${scaled}${fanOut(i)}`;
    }),
    ...segments.map((_, i) => `[seg${i}]${fillSlot(plan.fps, timing.frameCount)}[v${i}]`),
    segmentAudio(plan.hasAudio ? chunkAudio(timing) : SILENCE, timing, audio),
  ];
  const outputs = segments.map((seg, i) => segmentOutput(seg, timing, `v${i}`, audio[i] ?? ''));
  if (frames) {
    graph.push(
      `[frame]${fillSlot(frames.fps, frameCount(timing.durationSec, frames.fps), 'up')},split=2[frames][thumbsource]`,
      `[thumbsource]${scaleTo(frames.size, frames.thumbSize)}[thumbs]`,
    );
    outputs.push(imagesOutput('frames', FRAME_QUALITY, frames.pattern));
    outputs.push(imagesOutput('thumbs', THUMBNAIL_QUALITY, frames.thumbsPattern));
  }
  return {
    // The chunk's own timestamps, unshifted: ffmpeg otherwise moves every stream by the earliest start,
    // and an Opus track starting before 0 (its pre-skip) would put the audio that much late. A recorder
    // restarted per chunk starts each chunk's clock at 0, which this relies on.
    global: [...COMMON_GLOBAL, '-copyts', '-filter_threads', '1', '-filter_complex', graph.join(';')],
    // A source whose size changes mid-chunk (a shared window resized) would otherwise rebuild the whole
    // graph, restarting fps/tpad/trim; the scalers adapt to new sizes on their own (vf_scale.c).
    inputs: [
      {
        options: [...chunkInputOptions(plan.input), ...SINGLE_THREAD, '-reinit_filter', '0'],
        source: plan.input,
      },
    ],
    outputs,
  };
}

/**
 * Constant `fps` from time 0, the last picture held, exactly `count` frames. By default the fps filter
 * picks for each output time the last picture before half a period later (rounding to nearest); `up`
 * picks the last one at or before it, i.e. what was on screen at that instant — what a frame named by
 * its time must show.
 */
function fillSlot(fps: number, count: number, round?: 'up'): string {
  const rounding = round ? `:round=${round}` : '';
  return `fps=${fps}:start_time=0${rounding},tpad=stop_mode=clone:stop=${count},trim=end_frame=${count}`;
}

/**
 * JPEG images numbered from 0, written exactly as the graph emits them (no frame-rate fixing). One
 * encoder thread, like every encode here (5 MB less per run).
 */
function imagesOutput(label: string, quality: string, pattern: string): FfmpegOutput {
  return {
    options: [
      '-map',
      `[${label}]`,
      '-fps_mode',
      'passthrough',
      '-c:v',
      'mjpeg',
      '-threads',
      '1',
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

export interface StoryboardPlan {
  source: string;
  /** The source's picture size; tiles keep its aspect ratio. */
  sourceSize: Resolution;
  /** Seconds of timeline per tile. */
  intervalSec: number;
  tileCount: number;
  tile: Resolution;
  columns: number;
  rows: number;
  /** image2 pattern of the sheets, numbered from 0. */
  pattern: string;
  /** Decode keyframes only: for long sessions, where tiles are further apart than keyframes. */
  keyframesOnly: boolean;
}

/**
 * Sprite sheets: one picture per interval (the fps filter's nearest rounding picks the one showing in the
 * middle of the interval, a fair summary of it), the last picture held
 * for as long as needed (`stop=-1`; with keyframes only it may be a chunk before the end), cut at the
 * tile count, laid out `columns × rows` per sheet; the last sheet may be partly empty.
 */
export function storyboardJob(plan: StoryboardPlan): FfmpegJob {
  const graph =
    `[0:v:0]tpad=stop_mode=clone:stop=-1,fps=1/${plan.intervalSec}:start_time=0,` +
    `trim=end_frame=${plan.tileCount},${scaleTo(plan.sourceSize, plan.tile)},tile=${plan.columns}x${plan.rows}[sheets]`;
  return {
    global: [...COMMON_GLOBAL, '-filter_complex', graph],
    inputs: [{ options: plan.keyframesOnly ? ['-skip_frame', 'nokey'] : [], source: plan.source }],
    outputs: [imagesOutput('sheets', THUMBNAIL_QUALITY, plan.pattern)],
  };
}

/**
 * The whole timeline as one MP4 without re-encoding. ADTS AAC from MPEG-TS needs its headers turned into
 * an AudioSpecificConfig for MP4 (`aac_adtstoasc`); `+faststart` moves the index to the front so a
 * browser can play it while downloading.
 */
export function stitchJob(o: { playlist: string; target: string }): FfmpegJob {
  return {
    global: [...COMMON_GLOBAL],
    inputs: [{ options: [], source: o.playlist }],
    outputs: [
      {
        options: [
          '-map',
          '0:v:0',
          '-map',
          '0:a:0?',
          '-c',
          'copy',
          '-bsf:a',
          'aac_adtstoasc',
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
        ],
        target: o.target,
      },
    ],
  };
}
