/**
 * A chunk's segments on the session timeline, with its analysis frames and thumbnails: the ffmpeg run
 * that makes them all from one decode (`chunkEncodeJob`, pure) and the effects around it.
 */
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Rendition } from '../../contracts/storage.ts';
import { type SourceColour, toLimitedBt709 } from './colour.ts';
import {
  FRAME_QUALITY,
  imagesOutput,
  type SegmentTarget,
  SINGLE_THREAD,
  segmentOutput,
  THUMBNAIL_QUALITY,
} from './encoder.ts';
import {
  chunkAudio,
  fillSlot,
  labels,
  SCALE_FLAGS,
  SILENCE,
  scaleCascade,
  scaleTo,
  segmentAudio,
  splitInto,
} from './filters.ts';
import { chunkInputOptions } from './input.ts';
import { COMMON_GLOBAL, type FfmpegJob } from './job.ts';
import type { ChunkProbe } from './probe.ts';
import { fitWidth, type Resolution, renditionSize } from './renditions.ts';
import { type MediaRunner, runTimeoutMs } from './runner.ts';
import {
  encoded,
  type RenditionSizes,
  removeFiles,
  type SegmentsResult,
  segmentTargets,
} from './segments.ts';
import { DEFAULT_FPS, frameCount, frameOffsetMs, type Slot, type SlotTiming, slotTiming } from './timing.ts';

/** Frames per second of the analysis frames when the caller does not say. */
export const DEFAULT_FRAMES_FPS = 1;
/** Analysis frames are at most this wide (never upscaled). */
export const FRAME_MAX_WIDTH = 1280;
/** Thumbnails of the analysis frames are this wide. */
export const THUMBNAIL_WIDTH = 160;

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
    const outs = feeds.get(from) ?? [];
    return outs.length === 1 ? `[${outs[0]}]` : `,${splitInto('split', outs)}`;
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

export interface EncodeChunkResult extends SegmentsResult {
  /** Analysis frames, `<chunkStartMs + offsetMs>.jpg`, in time order. */
  frames: string[];
  /** Thumbnails of the same frames, named the same, in the thumbnails directory. */
  thumbnails: string[];
  /** The frame size of each rendition, for RESOLUTION in the master playlist and for placeholders. */
  resolutions: RenditionSizes;
  /** The chunk had audio (kept) rather than silence (added). */
  hasAudio: boolean;
}

export interface EncodeChunkOptions {
  /** The chunk as a local file. */
  input: string;
  outDir: string;
  /** File name of the segment without extension, the same in every rendition's folder. */
  name: string;
  slot: Slot;
  renditions: Rendition[];
  fps?: number;
  /** Analysis frames and thumbnails of the slot, `fps` per second (default 1). */
  frames?: { dir: string; thumbsDir: string; chunkStartMs: number; fps?: number };
  /** The chunk's probe (`probeChunk`): its picture size, colours and audio decide the run. */
  probe: ChunkProbe;
  /**
   * Sizes to encode at, per rendition, instead of the ones derived from this chunk: pass the session's
   * first chunk's so a shared window resized mid-session keeps one size per variant (letterboxed).
   */
  resolutions?: RenditionSizes;
  signal?: AbortSignal;
  /** Fraction of the slot encoded, 0…1. */
  onProgress?: (fraction: number) => void;
}

/** A chunk that cannot be encoded because it does not decode. */
export class UndecodableChunkError extends Error {
  override readonly name = 'UndecodableChunkError';
}

/**
 * Encodes one chunk into its slot of the session timeline: one MPEG-TS segment per rendition, exactly
 * the slot long (whole frames at `fps`) with its timestamps at the slot's place, always with one AAC
 * track, plus analysis frames and thumbnails when asked — all in one ffmpeg run, written straight to
 * their files (frames then renamed by their time). The run is also what finds out whether the chunk
 * decodes, as far as it reads it (up to the slot's end): any error ffmpeg reports on the way, or a slot
 * without a decoded frame, rejects with an `FfmpegError`, and removes what the run wrote.
 */
export async function encodeChunk(media: MediaRunner, o: EncodeChunkOptions): Promise<EncodeChunkResult> {
  const { probe } = o;
  if (!probe.decodable) throw new UndecodableChunkError(`${o.input} does not decode: ${probe.reason}`);
  const fps = o.fps ?? DEFAULT_FPS;
  const timing = slotTiming(o.slot, fps);
  const resolutions: RenditionSizes = {};
  for (const r of o.renditions) resolutions[r] = o.resolutions?.[r] ?? renditionSize(r, probe);
  const segments = await segmentTargets(o.outDir, o.name, o.renditions, resolutions);
  const framesFps = o.frames?.fps ?? DEFAULT_FRAMES_FPS;
  const frames = o.frames && (await frameFiles(o.frames, o.name, framesFps, timing));
  const frameSize = fitWidth(FRAME_MAX_WIDTH, probe);
  try {
    await media.ffmpeg(
      chunkEncodeJob({
        input: o.input,
        source: probe,
        hasAudio: probe.hasAudio,
        timing,
        fps,
        segments,
        scaleFlags: SCALE_FLAGS,
        frames: frames && {
          pattern: frames.pattern,
          thumbsPattern: frames.thumbsPattern,
          fps: framesFps,
          size: frameSize,
          thumbSize: fitWidth(THUMBNAIL_WIDTH, frameSize),
        },
      }),
      {
        signal: o.signal,
        timeoutMs: runTimeoutMs(timing.durationSec),
        verify: { frames: timing.frameCount },
        onProgress:
          o.onProgress &&
          (({ frame }) => frame !== null && o.onProgress?.(Math.min(1, frame / timing.frameCount))),
      },
    );
  } catch (error) {
    await removeFiles([...segments.map((s) => s.target), ...(frames?.written ?? [])]);
    throw error;
  }
  const named = { frames: [] as string[], thumbnails: [] as string[] };
  for (const file of frames?.files ?? []) {
    named.frames.push(await renameTo(file.frame, file.timeName));
    named.thumbnails.push(await renameTo(file.thumb, file.timeName));
  }
  return { ...encoded(segments, timing), resolutions, hasAudio: probe.hasAudio, ...named };
}

/**
 * Where the run writes the slot's analysis frames and thumbnails: numbered from 0 after the segment's
 * name, in their folders (made here), each to be renamed by its time once written (`timeName`:
 * milliseconds from the chunk start, `<chunkStartMs + offset>.jpg`).
 */
async function frameFiles(
  o: { dir: string; thumbsDir: string; chunkStartMs: number },
  name: string,
  fps: number,
  timing: SlotTiming,
) {
  await mkdir(o.dir, { recursive: true });
  await mkdir(o.thumbsDir, { recursive: true });
  const files = Array.from({ length: frameCount(timing.durationSec, fps) }, (_, i) => ({
    frame: join(o.dir, `${name}-${i}.jpg`),
    thumb: join(o.thumbsDir, `${name}-${i}.jpg`),
    timeName: `${o.chunkStartMs + frameOffsetMs(i, fps)}.jpg`,
  }));
  return {
    pattern: join(o.dir, `${name}-%d.jpg`),
    thumbsPattern: join(o.thumbsDir, `${name}-%d.jpg`),
    files,
    written: files.flatMap((file) => [file.frame, file.thumb]),
  };
}

/** Renames `file` to `name` in its folder; resolves with the new path. */
async function renameTo(file: string, name: string): Promise<string> {
  const renamed = join(dirname(file), name);
  await rename(file, renamed);
  return renamed;
}
