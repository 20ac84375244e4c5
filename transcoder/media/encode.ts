/**
 * Chunk and placeholder segments on the session timeline: the effects around the argument builders —
 * directories, one ffmpeg run, and publishing outputs under their final names only once complete.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Rendition } from '../../contracts/storage.ts';
import {
  chunkEncodeJob,
  DEFAULT_FPS,
  DEFAULT_FRAMES_FPS,
  FRAME_MAX_WIDTH,
  frameOffsetMs,
  placeholderJob,
  type SegmentTarget,
  type Slot,
  type SlotTiming,
  slotTiming,
  THUMBNAIL_WIDTH,
} from './args.ts';
import { type ChunkProbe, probeChunk } from './probe.ts';
import { fitWidth, type Resolution, renditionSize } from './renditions.ts';
import { type MediaRunner, runTimeoutMs } from './runner.ts';

/**
 * swscale's bilinear, which widens its kernel when reducing, so text stays clean at the ≤ 1.5× steps of
 * the cascade. Measured on a 1080p MediaRecorder chunk: the three scalers cost 0.24 CPU-s against 0.32
 * with the default bicubic.
 */
const SCALE_FLAGS = 'bilinear';

export type RenditionSizes = Partial<Record<Rendition, Resolution>>;

/** Segments of a slot as encoded, with the slot as it landed on the frame grid. */
export interface SegmentsResult {
  /** `outDir/<rendition>/<name>.ts` for every rendition asked for. */
  segments: Partial<Record<Rendition, string>>;
  /** The slot on the frame grid: EXTINF is `durationSec`, the timestamps start at `TIMELINE_BASE_OFFSET_SEC + startSec`. */
  timing: Pick<SlotTiming, 'startSec' | 'durationSec' | 'frameCount'>;
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
  /** The chunk's probe, when the caller has already made it (saves probing the chunk twice). */
  probe?: ChunkProbe;
  /**
   * Sizes to encode at, per rendition, instead of the ones derived from this chunk: pass the session's
   * first chunk's so a shared window resized mid-session keeps one size per variant (letterboxed).
   */
  resolutions?: RenditionSizes;
  signal?: AbortSignal;
  /** Time limit of the run; by default `runTimeoutMs` of the slot. */
  timeoutMs?: number;
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
 * track, plus analysis frames and thumbnails when asked — all in one ffmpeg run. Outputs appear under
 * their final names only when the run succeeded, so a rerun after a crash simply overwrites. The run is
 * also what finds out whether the chunk decodes, as far as it reads it (up to the slot's end): any error
 * ffmpeg reports on the way, or a slot without a decoded frame, rejects with an `FfmpegError`.
 */
export async function encodeChunk(media: MediaRunner, o: EncodeChunkOptions): Promise<EncodeChunkResult> {
  const fps = o.fps ?? DEFAULT_FPS;
  const timing = slotTiming(o.slot, fps);
  const probe = o.probe ?? (await probeChunk(media, o.input, { signal: o.signal }));
  if (!probe.decodable) throw new UndecodableChunkError(`${o.input} does not decode: ${probe.reason}`);
  const resolutions: RenditionSizes = {};
  for (const r of o.renditions) resolutions[r] = o.resolutions?.[r] ?? renditionSize(r, probe);
  const staging = await stageSegments(o.outDir, o.name, o.renditions, resolutions);
  const framesFps = o.frames?.fps ?? DEFAULT_FRAMES_FPS;
  const frameStaging = o.frames ? await stageFrames(o.frames.dir, o.frames.thumbsDir, o.name) : undefined;
  const frameSize = fitWidth(FRAME_MAX_WIDTH, probe);
  try {
    await media.ffmpeg(
      chunkEncodeJob({
        input: o.input,
        source: probe,
        hasAudio: probe.hasAudio,
        timing,
        fps,
        segments: staging.targets,
        scaleFlags: SCALE_FLAGS,
        frames: frameStaging && {
          pattern: join(frameStaging.frames, '%d.jpg'),
          thumbsPattern: join(frameStaging.thumbs, '%d.jpg'),
          fps: framesFps,
          size: frameSize,
          thumbSize: fitWidth(THUMBNAIL_WIDTH, frameSize),
        },
      }),
      {
        signal: o.signal,
        timeoutMs: o.timeoutMs ?? runTimeoutMs(timing.durationSec),
        verify: { frames: timing.frameCount },
        onProgress:
          o.onProgress &&
          (({ frame }) => frame !== null && o.onProgress?.(Math.min(1, frame / timing.frameCount))),
      },
    );
    const segments = await staging.publish();
    const chunkStartMs = o.frames?.chunkStartMs ?? 0;
    const published = frameStaging
      ? await frameStaging.publish((i) => `${chunkStartMs + frameOffsetMs(i, framesFps)}.jpg`)
      : { frames: [], thumbnails: [] };
    return { segments, timing: pick(timing), resolutions, hasAudio: probe.hasAudio, ...published };
  } finally {
    await staging.discard();
    await frameStaging?.discard();
  }
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
  const staging = await stageSegments(o.outDir, o.name, o.renditions, o.resolutions);
  try {
    await media.ffmpeg(placeholderJob({ timing, fps, segments: staging.targets }), {
      signal: o.signal,
      timeoutMs: runTimeoutMs(timing.durationSec),
    });
    return { segments: await staging.publish(), timing: pick(timing) };
  } finally {
    await staging.discard();
  }
}

function pick(t: SlotTiming): SegmentsResult['timing'] {
  return { startSec: t.startSec, durationSec: t.durationSec, frameCount: t.frameCount };
}

/** Segment files written under a temporary name beside their final one, renamed on success. */
async function stageSegments(outDir: string, name: string, renditions: Rendition[], sizes: RenditionSizes) {
  const tag = randomUUID();
  const targets: (SegmentTarget & { final: string })[] = [];
  for (const rendition of renditions) {
    const size = sizes[rendition];
    if (!size) throw new RangeError(`no resolution given for rendition ${rendition}`);
    const dir = join(outDir, rendition);
    await mkdir(dir, { recursive: true });
    targets.push({
      rendition,
      size,
      target: join(dir, `.${name}.${tag}.ts`),
      final: join(dir, `${name}.ts`),
    });
  }
  return {
    targets,
    async publish(): Promise<Partial<Record<Rendition, string>>> {
      const segments: Partial<Record<Rendition, string>> = {};
      for (const t of targets) {
        await rename(t.target, t.final);
        segments[t.rendition] = t.final;
      }
      return segments;
    },
    async discard(): Promise<void> {
      await Promise.all(targets.map((t) => rm(t.target, { force: true })));
    },
  };
}

/** Frames and thumbnails written into hidden folders, then moved under their time names. */
async function stageFrames(framesDir: string, thumbsDir: string, name: string) {
  const tag = `.${name}.${randomUUID()}`;
  const frames = join(framesDir, tag);
  const thumbs = join(thumbsDir, tag);
  await mkdir(frames, { recursive: true });
  await mkdir(thumbs, { recursive: true });
  return {
    frames,
    thumbs,
    async publish(nameOf: (index: number) => string): Promise<{ frames: string[]; thumbnails: string[] }> {
      const indices = (await readdir(frames))
        .map((f) => /^(\d+)\.jpg$/.exec(f)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      const result = { frames: [] as string[], thumbnails: [] as string[] };
      for (const i of indices) {
        const final = nameOf(i);
        await rename(join(frames, `${i}.jpg`), join(framesDir, final));
        await rename(join(thumbs, `${i}.jpg`), join(thumbsDir, final));
        result.frames.push(join(framesDir, final));
        result.thumbnails.push(join(thumbsDir, final));
      }
      return result;
    },
    async discard(): Promise<void> {
      await rm(frames, { recursive: true, force: true });
      await rm(thumbs, { recursive: true, force: true });
    },
  };
}
