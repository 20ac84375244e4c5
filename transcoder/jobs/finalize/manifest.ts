/**
 * The session manifest (`<playback asset>/processed/manifest.json`): what finalize found and made, for
 * auditors, support and downstream analysis — every chunk and what became of it, the gaps and how they
 * were filled, durations, codecs, sizes, and the screenshots by time. This is its package, the part
 * fixed once the playlists are written; how far the storyboard and stitched videos have come is added by
 * `progress.ts`. Pure, and free of wall-clock times, so finalizing the same chunks twice writes the same
 * manifest.
 */
import type { RawChunk, Rendition, VideoAsset } from '../../../contracts/storage.ts';
import type { AssetKeys, SessionRef } from '../../storage/layout.ts';
import {
  type AssetProfile,
  type ChunkEntry,
  gridOf,
  storedChunk,
  type UndecodableEntry,
} from '../../storage/records.ts';
import { type Dropped, type Duplicate, isCut, type SlottedChunk } from '../../timeline/chunks.ts';
import { msAt } from '../../timeline/grid.ts';
import type { Timeline } from '../../timeline/plan.ts';

/** An asset with video on the timeline. */
export interface PackagedVideo {
  profile: AssetProfile;
  timeline: Timeline<RawChunk>;
  dropped: Dropped[];
}

/** A video asset as finalize left it. */
export interface FinalizedAsset {
  asset: VideoAsset;
  keys: AssetKeys;
  /** Every chunk listed in `raw/`. */
  listed: RawChunk[];
  /** Keys of the listed chunks outside the session's time window: left off the timeline, never a gap. */
  outOfWindow: ReadonlySet<string>;
  duplicates: Duplicate[];
  entries: ReadonlyMap<string, ChunkEntry>;
  undecodable: ReadonlyMap<string, UndecodableEntry>;
  /** Absent when no chunk of the asset decodes. */
  video?: PackagedVideo;
}

export interface ManifestInput {
  session: SessionRef;
  timeline: { startMs: number; endMs: number };
  playback: { type: 'hls_masterplaylist'; key: string };
  assets: FinalizedAsset[];
  /** Screenshots inside the session's time window, and the keys of those outside it. */
  screenshots: RawChunk[];
  screenshotsOutOfWindow: string[];
  ignoredKeys: string[];
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function chunkStatus(
  chunk: RawChunk,
  asset: FinalizedAsset,
  slotted: ReadonlyMap<string, SlottedChunk<RawChunk>>,
): Record<string, unknown> {
  const base = storedChunk(chunk);
  if (asset.outOfWindow.has(chunk.key)) return { ...base, status: 'out_of_window' };
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

/** Missing seqs listed one by one up to this many: a hostile seq near the top would otherwise list a million. */
export const MISSING_SEQS_LISTED = 1000;

/**
 * The seqs below the highest one seen that no chunk has: `missing_seqs` (the first `MISSING_SEQS_LISTED`)
 * and `missing_seq_count` (all of them). The loop stops after the listed ones, so it never runs past
 * the number of chunks plus that limit.
 */
export function missingSeqs(listed: readonly Pick<RawChunk, 'seq'>[]) {
  const present = new Set<number>();
  let last = -1;
  for (const chunk of listed) {
    present.add(chunk.seq);
    last = Math.max(last, chunk.seq);
  }
  const seqs: number[] = [];
  for (let seq = 0; seq <= last && seqs.length < MISSING_SEQS_LISTED; seq++) {
    if (!present.has(seq)) seqs.push(seq);
  }
  return { missing_seqs: seqs, missing_seq_count: last + 1 - present.size };
}

function videoSummary(asset: FinalizedAsset, video: PackagedVideo) {
  const grid = gridOf(video.profile);
  const ms = (frame: number) => Math.round(msAt(grid, frame));
  let absorbedFrames = 0;
  let longestAbsorbed = 0;
  let absorbedCount = 0;
  for (const gap of video.timeline.gaps) {
    if (gap.filled !== 'absorbed') continue;
    absorbedCount++;
    absorbedFrames += gap.span.frames;
    longestAbsorbed = Math.max(longestAbsorbed, gap.span.frames);
  }
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
    lead_in_ms: framesToMs(video.timeline.gaps.find((gap) => gap.filled === 'lead_in')?.span.frames ?? 0),
    gaps: video.timeline.gaps
      .filter((gap) => gap.filled === 'placeholder')
      .map((gap) => {
        const start = ms(gap.span.start);
        const end = ms(gap.span.start + gap.span.frames);
        return {
          start_ms: start,
          end_ms: end,
          duration_ms: end - start,
          undecodable: asset.listed
            .filter(
              (c) => asset.undecodable.has(c.fileName) && c.startMs < end && c.startMs + c.durationMs > start,
            )
            .sort(byKey)
            .map((c) => c.key),
        };
      }),
    absorbed_gaps: {
      count: absorbedCount,
      total_ms: framesToMs(absorbedFrames),
      max_ms: framesToMs(longestAbsorbed),
    },
  };
}

/** The session's package as the manifest says it. */
export type SessionPackage = ReturnType<typeof sessionManifest>;

/** Builds the manifest object, without the progress of the storyboards and stitched videos. */
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
      out_of_window: [...asset.outOfWindow].sort(),
      ...missingSeqs(asset.listed.filter((chunk) => !asset.outOfWindow.has(chunk.key))),
    };
  }
  if (input.screenshots.length + input.screenshotsOutOfWindow.length > 0) {
    assets.screenshots = {
      images: [...input.screenshots]
        .sort((a, b) => a.startMs - b.startMs || a.seq - b.seq)
        .map((image) => ({
          key: image.key,
          seq: image.seq,
          captured_at_ms: image.startMs,
          offset_ms: image.startMs - input.timeline.startMs,
        })),
      out_of_window: [...input.screenshotsOutOfWindow].sort(),
      ...missingSeqs(input.screenshots),
    };
  }
  return {
    version: 1,
    tenant_uuid: input.session.tenantId,
    session_uuid: input.session.sessionId,
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
