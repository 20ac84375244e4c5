/**
 * The names of segments, the one place they are made. A name is chosen so that equal content always gets
 * the same name and different content a different one: a rerun overwrites with the same bytes, and a
 * playlist never points at a segment that a concurrent job could replace with something else. Pure.
 */
import type { PlaylistKind } from '../playlists/hls.ts';
import { isCut, type TimelineChunk } from '../timeline/chunks.ts';
import type { FrameSpan } from '../timeline/grid.ts';
import type { TimelineItem } from '../timeline/plan.ts';
import type { AssetProfile } from './records.ts';

/**
 * The file name of a chunk without its extension, e.g. `000042-1764158400123-5012`: the name of its
 * segments when encoded over its own span.
 */
export function chunkStem(fileName: string): string {
  return fileName.replace(/\.[a-z0-9]+$/, '');
}

/** Segment name of a chunk re-encoded shorter because the next chunk overlaps it. */
export function cutSegmentName(fileName: string, frames: number): string {
  return `${chunkStem(fileName)}-cut${frames}`;
}

/**
 * Segment name of a placeholder over `span`, by its place in origin-free frames (server ms × fps / 1000),
 * so the name does not depend on which chunk fixed the asset's origin.
 */
export function placeholderSegmentName(profile: AssetProfile, span: FrameSpan): string {
  return `gap-${span.start + (profile.origin_ms * profile.fps) / 1000}-${span.frames}`;
}

/**
 * The segment an item plays. A cut chunk has its own shorter segment in VOD playlists; the live playlist
 * lists the chunk's own segment with the cut duration, since re-encoding while recording is not worth it.
 */
export function segmentNameOf<T extends TimelineChunk & { fileName: string }>(
  profile: AssetProfile,
  item: TimelineItem<T>,
  kind: PlaylistKind,
): string {
  if (item.kind === 'placeholder') return placeholderSegmentName(profile, item.span);
  return kind === 'vod' && isCut(item.chunk)
    ? cutSegmentName(item.chunk.fileName, item.span.frames)
    : chunkStem(item.chunk.fileName);
}
