/**
 * The per-chunk pipeline the jobs share: process one chunk (download, probe, encode its span with frames
 * and thumbnails, upload, record it) and re-encode a chunk cut short by an overlap. Each step uploads every
 * output before writing the record that says it is done, so a job killed midway leaves no record and its
 * rerun starts over.
 */
import { basename, join } from 'node:path';
import type { RawChunk } from '../../contracts/storage.ts';
import type { JobContext } from '../jobs/context.ts';
import {
  type ChunkProbe,
  DEFAULT_FPS,
  encodeChunk,
  isInputFailure,
  lateStream,
  probeChunk,
  renditionSize,
  renditionsFor,
  runTimeoutMs,
  TIMELINE_BASE_OFFSET_SEC,
  undecodableProbe,
} from '../media/index.ts';
import type { AssetKeys } from '../storage/layout.ts';
import {
  type AssetProfile,
  type ChunkEntry,
  gridOf,
  loadProfile,
  profileSignature,
  storedChunk,
  type UndecodableEntry,
  undecodableEntry,
} from '../storage/records.ts';
import { chunkStem, cutSegmentName } from '../storage/segments.ts';
import { chunkSlotMs } from '../timeline/chunks.ts';
import { assertTimestampable, type FrameSpan, originFor, spanOf } from '../timeline/grid.ts';
import { uploadFiles, withWorkDir } from './files.ts';

/** What processing a chunk found. */
export type ChunkOutcome =
  | { decodable: true; entry: ChunkEntry; profile: AssetProfile }
  | { decodable: false; entry: UndecodableEntry };

/**
 * The asset's profile, created from this chunk if it is the first. The write is conditional (first
 * writer wins on S3) and the profile is read back either way, so concurrent first chunks agree; where
 * a store ignores the condition and two writes race, the loser's segments carry a different profile
 * signature and finalize re-encodes them.
 */
async function ensureProfile(ctx: JobContext, keys: AssetKeys, chunk: RawChunk, probe: ChunkProbe) {
  const existing = await loadProfile(ctx.storage, keys, ctx.signal);
  if (existing) return existing;
  const renditions = renditionsFor(probe.height);
  const profile: AssetProfile = {
    version: 1,
    origin_ms: originFor(chunk.startMs),
    fps: DEFAULT_FPS,
    renditions,
    resolutions: Object.fromEntries(renditions.map((r) => [r, renditionSize(r, probe)])),
    source: { key: chunk.key, width: probe.width, height: probe.height },
  };
  await ctx.storage.putJson(keys.profile, profile, { onlyIfAbsent: true });
  return (await loadProfile(ctx.storage, keys, ctx.signal)) ?? profile;
}

/** Where a span is encoded, in seconds of the asset's timeline; asserts its timestamps cannot wrap. */
export function slotOf(profile: AssetProfile, span: FrameSpan) {
  assertTimestampable(gridOf(profile), span, TIMELINE_BASE_OFFSET_SEC * 1000);
  return { startSec: span.start / profile.fps, durationSec: span.frames / profile.fps };
}

/** What a media step returns when the chunk's own media made ffprobe or ffmpeg fail. */
interface MediaFailure {
  failed: string;
}

function isFailure(value: object): value is MediaFailure {
  return 'failed' in value;
}

/**
 * Runs a step on a chunk's media. Whatever bytes the browser uploaded, a failure they cause (an error
 * exit, a crash, output past its buffer, a size the encoder refuses) comes back as a reason, so the
 * chunk becomes a gap instead of failing the session; a timeout or an abort stays an error, and the job
 * is tried again.
 */
async function mediaStep<T extends object>(
  signal: AbortSignal,
  step: () => Promise<T>,
): Promise<T | MediaFailure> {
  try {
    return await step();
  } catch (error) {
    // A run stopped from outside (shutdown, a failed sibling) says nothing about the chunk, whatever it threw.
    if (isInputFailure(error) && !signal.aborted) return { failed: error.message };
    throw error;
  }
}

/** Downloads a chunk and probes it, under a time limit proportional to its length. */
async function fetchChunk(ctx: JobContext, dir: string, chunk: RawChunk) {
  const input = join(dir, chunk.fileName);
  await ctx.storage.download(chunk.key, input, ctx.signal);
  const probe = await mediaStep(ctx.signal, () =>
    probeChunk(ctx.media, input, { signal: ctx.signal, timeoutMs: runTimeoutMs(chunk.durationMs / 1000) }),
  );
  return { input, probe: isFailure(probe) ? undecodableProbe(probe.failed) : probe };
}

/** Encodes a chunk's segments into `dir` and uploads them; frames and thumbnails too when asked. */
async function encodeSegments(
  ctx: JobContext,
  keys: AssetKeys,
  o: {
    dir: string;
    input: string;
    probe: ChunkProbe;
    profile: AssetProfile;
    name: string;
    span: FrameSpan;
    framesOf?: RawChunk;
  },
) {
  const framesDir = join(o.dir, 'frames');
  const thumbsDir = join(o.dir, 'thumbnails');
  const encoded = await mediaStep(ctx.signal, () =>
    encodeChunk(ctx.media, {
      input: o.input,
      outDir: join(o.dir, 'segments'),
      name: o.name,
      slot: slotOf(o.profile, o.span),
      renditions: o.profile.renditions,
      resolutions: o.profile.resolutions,
      fps: o.profile.fps,
      probe: o.probe,
      frames: o.framesOf && {
        dir: framesDir,
        thumbsDir,
        chunkStartMs: o.framesOf.startMs,
        fps: ctx.settings.framesFps,
      },
      signal: ctx.signal,
      onProgress: (fraction) => ctx.log.progress('encode', fraction, { segment: o.name }),
    }),
  );
  if (isFailure(encoded)) return encoded;
  const segments = o.profile.renditions.map(
    (r) => [keys.segment(r, o.name), encoded.segments[r] ?? ''] as const,
  );
  const frames = encoded.frames.map((file) => [`${keys.frames}${basename(file)}`, file] as const);
  const thumbnails = encoded.thumbnails.map((file) => [`${keys.thumbnails}${basename(file)}`, file] as const);
  await uploadFiles(ctx, [...segments, ...frames, ...thumbnails]);
  return { frameKeys: frames.map(([key]) => key), thumbnailKeys: thumbnails.map(([key]) => key) };
}

async function recordUndecodable(
  ctx: JobContext,
  keys: AssetKeys,
  chunk: RawChunk,
  reason: string,
): Promise<ChunkOutcome> {
  const entry = undecodableEntry(chunk, reason);
  await ctx.storage.putJson(keys.undecodableEntry(chunk.fileName), entry);
  ctx.log.warn('chunk is a gap', { chunk: chunk.fileName, reason });
  return { decodable: false, entry };
}

/**
 * Processes a chunk over its own span (start to wall-clock end from its name, at most its media's length
 * plus `MEDIA_SLACK_MS`): segments for every rendition of the asset's profile, analysis frames and
 * thumbnails, then its index entry. A chunk that does not decode, makes ffmpeg fail, is too short for one
 * frame, or has a stream starting after its slot ends, is recorded as a gap instead.
 */
export async function processChunk(ctx: JobContext, keys: AssetKeys, chunk: RawChunk): Promise<ChunkOutcome> {
  return withWorkDir(ctx, async (dir) => {
    const { input, probe } = await fetchChunk(ctx, dir, chunk);
    if (!probe.decodable) return recordUndecodable(ctx, keys, chunk, probe.reason ?? 'does not decode');
    const slotMs = chunkSlotMs(chunk.durationMs, probe.durationSec);
    const late = lateStream(probe, slotMs / 1000);
    if (late) return recordUndecodable(ctx, keys, chunk, late);
    const profile = await ensureProfile(ctx, keys, chunk, probe);
    const span = spanOf(gridOf(profile), chunk.startMs, slotMs);
    if (span.frames < 1) return recordUndecodable(ctx, keys, chunk, 'shorter than one frame');
    const encoded = await encodeSegments(ctx, keys, {
      dir,
      input,
      probe,
      profile,
      name: chunkStem(chunk.fileName),
      span,
      framesOf: chunk,
    });
    if (isFailure(encoded)) return recordUndecodable(ctx, keys, chunk, encoded.failed);
    const { frameKeys, thumbnailKeys } = encoded;
    const entry: ChunkEntry = {
      version: 1,
      ...storedChunk(chunk),
      profile: profileSignature(profile),
      span,
      source: {
        codec: probe.videoCodec,
        width: probe.width,
        height: probe.height,
        has_audio: probe.hasAudio,
        duration_sec: probe.durationSec,
      },
      frame_keys: frameKeys,
      thumbnail_keys: thumbnailKeys,
    };
    await ctx.storage.putJson(keys.chunkEntry(chunk.fileName), entry);
    return { decodable: true, entry, profile };
  });
}

/**
 * A chunk processed before cannot be encoded over its shorter, cut span: its media fails now (typically
 * its object was replaced by bytes that do not decode). Failing to fetch it is not this error.
 */
export class CutFailedError extends Error {
  override readonly name = 'CutFailedError';
}

/** Re-encodes a chunk over a shorter span (the next chunk overlaps its end); returns the segment name. */
export async function encodeCut(
  ctx: JobContext,
  keys: AssetKeys,
  profile: AssetProfile,
  chunk: RawChunk,
  span: FrameSpan,
): Promise<string> {
  const name = cutSegmentName(chunk.fileName, span.frames);
  await withWorkDir(ctx, async (dir) => {
    const { input, probe } = await fetchChunk(ctx, dir, chunk);
    if (!probe.decodable) throw new CutFailedError(`probed before but not when cut: ${probe.reason}`);
    const encoded = await encodeSegments(ctx, keys, { dir, input, probe, profile, name, span });
    if (isFailure(encoded)) throw new CutFailedError(`encoded before but not when cut: ${encoded.failed}`);
  });
  return name;
}
