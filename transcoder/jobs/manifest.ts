/**
 * The session manifest (`<playback asset>/processed/manifest.json`): what finalize found and made, for
 * auditors, support and downstream analysis — every chunk and what became of it, the gaps and how they
 * were filled, durations, codecs, sizes, and the screenshots by time. Pure, and free of wall-clock
 * times, so finalizing the same chunks twice writes the same manifest.
 */
import type { Asset, Rendition } from '../../contracts/storage.ts';
import type { AssetKeys } from '../storage/layout.ts';
import { type Dropped, type Duplicate, isCut, type SlottedChunk } from '../timeline/chunks.ts';
import { msAt } from '../timeline/grid.ts';
import type { Timeline } from '../timeline/plan.ts';
import type { RawChunk } from './media.ts';
import { type AssetProfile, type ChunkEntry, gridOf, type UndecodableEntry } from './records.ts';

/** An asset with video on the timeline. */
export interface PackagedVideo {
  profile: AssetProfile;
  timeline: Timeline<RawChunk>;
  dropped: Dropped[];
  storyboard: { vtt: string; sheets: string[] };
}

/** A video asset as finalize left it. */
export interface FinalizedAsset {
  asset: Asset;
  keys: AssetKeys;
  /** Every chunk listed in `raw/`. */
  listed: RawChunk[];
  duplicates: Duplicate[];
  entries: ReadonlyMap<string, ChunkEntry>;
  undecodable: ReadonlyMap<string, UndecodableEntry>;
  /** Absent when no chunk of the asset decodes. */
  video?: PackagedVideo;
}

export interface ManifestInput {
  tenant: string;
  session: string;
  timeline: { startMs: number; endMs: number };
  playback: { type: 'hls_masterplaylist'; key: string };
  assets: FinalizedAsset[];
  screenshots: RawChunk[];
  ignoredKeys: string[];
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function chunkStatus(
  chunk: RawChunk,
  asset: FinalizedAsset,
  slotted: ReadonlyMap<string, SlottedChunk<RawChunk>>,
): Record<string, unknown> {
  const base = { key: chunk.key, seq: chunk.seq, start_ms: chunk.startMs, duration_ms: chunk.durationMs };
  const duplicate = asset.duplicates.find((d) => d.key === chunk.key);
  if (duplicate)
    return { ...base, status: 'duplicate', duplicate_of: duplicate.duplicateOf, reason: duplicate.reason };
  const gap = asset.undecodable.get(chunk.fileName);
  if (gap) return { ...base, status: 'undecodable', reason: gap.reason };
  const dropped = asset.video?.dropped.find((d) => d.key === chunk.key);
  if (dropped) return { ...base, status: dropped.reason };
  const entry = asset.entries.get(chunk.fileName);
  const placed = slotted.get(chunk.key);
  return {
    ...base,
    status: placed && isCut(placed) ? 'cut' : 'ok',
    ...(placed ? { timeline_frames: placed.span.frames } : {}),
    ...(entry
      ? {
          codec: entry.source.codec,
          width: entry.source.width,
          height: entry.source.height,
          has_audio: entry.source.has_audio,
          media_duration_sec: entry.source.duration_sec,
        }
      : {}),
  };
}

function missingSeqs(listed: readonly RawChunk[]): number[] {
  const present = new Set(listed.map((chunk) => chunk.seq));
  const last = Math.max(-1, ...present);
  return Array.from({ length: last + 1 }, (_, seq) => seq).filter((seq) => !present.has(seq));
}

function videoSummary(asset: FinalizedAsset, video: PackagedVideo) {
  const grid = gridOf(video.profile);
  const ms = (frame: number) => Math.round(msAt(grid, frame));
  const absorbed = video.timeline.gaps
    .filter((gap) => gap.filled === 'absorbed')
    .map((gap) => gap.span.frames);
  const framesToMs = (frames: number) => Math.round((frames * 1000) / grid.fps);
  return {
    duration_ms: framesToMs(video.timeline.span.frames),
    fps: video.profile.fps,
    master: asset.keys.master,
    renditions: video.profile.renditions.map((rendition: Rendition) => ({
      rendition,
      ...video.profile.resolutions[rendition],
      playlist: asset.keys.variantPlaylist(rendition),
    })),
    storyboard: video.storyboard,
    stitched_video: asset.keys.stitched,
    gaps: video.timeline.gaps
      .filter((gap) => gap.filled === 'placeholder')
      .map((gap) => {
        const start = ms(gap.span.start);
        const end = ms(gap.span.start + gap.span.frames);
        return {
          start_ms: start,
          end_ms: end,
          duration_ms: end - start,
          undecodable: [...asset.undecodable.values()]
            .sort(byKey)
            .filter((u) => u.start_ms < end && u.start_ms + u.duration_ms > start)
            .map((u) => u.key),
        };
      }),
    absorbed_gaps: {
      count: absorbed.length,
      total_ms: framesToMs(absorbed.reduce((sum, frames) => sum + frames, 0)),
      max_ms: framesToMs(Math.max(0, ...absorbed)),
    },
  };
}

/** Builds the manifest object. */
export function sessionManifest(input: ManifestInput) {
  const assets: Record<string, unknown> = {};
  for (const asset of input.assets) {
    const slotted = new Map(
      (asset.video?.timeline.items ?? []).flatMap((item) =>
        item.kind === 'chunk' ? [[item.chunk.key, item.chunk]] : [],
      ),
    );
    assets[asset.asset] = {
      status: asset.video ? 'ready' : 'no_video',
      ...(asset.video ? videoSummary(asset, asset.video) : {}),
      chunks: [...asset.listed]
        .sort((a, b) => a.startMs - b.startMs || a.seq - b.seq)
        .map((chunk) => chunkStatus(chunk, asset, slotted)),
      undecodable: [...asset.undecodable.values()].sort(byKey).map((u) => ({ key: u.key, reason: u.reason })),
      missing_seqs: missingSeqs(asset.listed),
    };
  }
  if (input.screenshots.length > 0) {
    assets.screenshots = {
      images: [...input.screenshots]
        .sort((a, b) => a.startMs - b.startMs || a.seq - b.seq)
        .map((image) => ({
          key: image.key,
          seq: image.seq,
          captured_at_ms: image.startMs,
          offset_ms: image.startMs - input.timeline.startMs,
        })),
      missing_seqs: missingSeqs(input.screenshots),
    };
  }
  return {
    version: 1,
    tenant_uuid: input.tenant,
    session_uuid: input.session,
    timeline: {
      start_ms: input.timeline.startMs,
      end_ms: input.timeline.endMs,
      duration_ms: input.timeline.endMs - input.timeline.startMs,
    },
    playback: input.playback,
    assets,
    ignored_keys: input.ignoredKeys,
  };
}
