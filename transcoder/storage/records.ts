/**
 * The transcoder's own records in `playlist_cache/`: the asset profile every segment is encoded with, and
 * one entry per processed chunk. Finalize rebuilds the VOD playlists from these and a listing of `raw/`,
 * without touching media that is already done.
 *
 * Records, like the manifest, are JSON in snake_case; code works on `RawChunk`. `storedChunk` is where a
 * chunk becomes its stored fields.
 */
import { z } from 'zod';
import { type RawChunk, RENDITIONS } from '../../contracts/storage.ts';
import type { FrameGrid } from '../timeline/grid.ts';
import type { LiveChunk } from '../timeline/live.ts';
import type { AssetKeys } from './layout.ts';
import type { Storage } from './s3.ts';

const Rendition = z.enum(RENDITIONS);
const Resolution = z.object({ width: z.int().positive(), height: z.int().positive() });

/**
 * How every segment of an asset is encoded, fixed by the first chunk processed: the timeline origin
 * (see `timeline/grid.ts`), the frame rate, the renditions and their frame sizes. Keeping one size per
 * variant means a window resized mid-session is letterboxed instead of changing the stream's size.
 */
export const AssetProfile = z.strictObject({
  version: z.literal(1),
  origin_ms: z.int(),
  fps: z.int().positive(),
  renditions: z.array(Rendition).min(1),
  resolutions: z.partialRecord(Rendition, Resolution),
  /** The chunk it was derived from. */
  source: z.strictObject({ key: z.string(), width: z.int(), height: z.int() }),
});
export type AssetProfile = z.infer<typeof AssetProfile>;

/** The asset's profile, if a chunk has fixed it yet. */
export function loadProfile(
  storage: Storage,
  keys: AssetKeys,
  signal: AbortSignal,
): Promise<AssetProfile | null> {
  return storage.getJson(keys.profile, AssetProfile, signal);
}

/** The grid an asset's segments are cut on. */
export function gridOf(profile: AssetProfile): FrameGrid {
  return { originMs: profile.origin_ms, fps: profile.fps };
}

/** A compact identity of everything in a profile that changes segment bytes. */
export function profileSignature(profile: AssetProfile): string {
  const sizes = profile.renditions.map(
    (r) => `${r}=${profile.resolutions[r]?.width}x${profile.resolutions[r]?.height}`,
  );
  return `${profile.origin_ms}@${profile.fps}fps:${sizes.join(',')}`;
}

const StoredChunk = {
  key: z.string(),
  seq: z.int().min(0),
  start_ms: z.int().min(0),
  duration_ms: z.int().min(0),
};

/** A chunk as records and the manifest store it. */
export function storedChunk(chunk: RawChunk) {
  return { key: chunk.key, seq: chunk.seq, start_ms: chunk.startMs, duration_ms: chunk.durationMs };
}

const ChunkIdentity = { version: z.literal(1), ...StoredChunk };

/** A chunk encoded over its own span: written after all its segments, frames and thumbnails. */
export const ChunkEntry = z.strictObject({
  ...ChunkIdentity,
  /** `profileSignature` of the profile it was encoded with; finalize re-encodes a chunk whose differs. */
  profile: z.string(),
  span: z.strictObject({ start: z.int(), frames: z.int().positive() }),
  source: z.strictObject({
    codec: z.string(),
    width: z.int(),
    height: z.int(),
    has_audio: z.boolean(),
    duration_sec: z.number(),
  }),
  frame_keys: z.array(z.string()),
  thumbnail_keys: z.array(z.string()),
});
export type ChunkEntry = z.infer<typeof ChunkEntry>;

/** A chunk that does not decode, or fills no frame: a gap on the timeline, reported in the manifest. */
export const UndecodableEntry = z.strictObject({
  ...ChunkIdentity,
  reason: z.string(),
});
export type UndecodableEntry = z.infer<typeof UndecodableEntry>;

/** The record of a chunk that is a gap, and why. */
export function undecodableEntry(chunk: RawChunk, reason: string): UndecodableEntry {
  return {
    version: 1,
    ...storedChunk(chunk),
    // ffmpeg prefixes messages with a context address (`[matroska,webm @ 0x55…]`) that differs per run.
    reason: reason.replace(/ @ 0x[0-9a-f]+\]/g, ']'),
  };
}

/**
 * The processed chunks of an asset, from one listing of `playlist_cache/`: decodable or not, and when each
 * entry was written.
 */
export async function listIndex(
  storage: Storage,
  keys: AssetKeys,
  signal: AbortSignal,
): Promise<LiveChunk<RawChunk>[]> {
  return (await storage.list(keys.cache, signal)).flatMap((object) => {
    const indexed = keys.indexedChunk(object.key);
    return indexed
      ? [{ ...indexed.chunk, decodable: indexed.decodable, arrivedAtMs: object.lastModified.getTime() }]
      : [];
  });
}
