/**
 * Puts a recording into video elements: HLS through hls.js (Media Source Extensions), a stitched MP4 as the
 * element's own source; and keeps the webcam picture-in-picture in step with the screen.
 */
import type { LevelUpdatedData } from 'hls.js';
// The light build leaves out what recordings never carry (subtitles, alternate audio, DRM): a third smaller.
import Hls from 'hls.js/light';
import { type ChunkSpan, chunkOfSegment } from './timeline-geometry.ts';

/** What a live playlist tells as it grows. */
export interface PlaylistInfo {
  /** Seconds the playlist lasts. */
  duration: number;
  /** Server time of its first chunk (from the segment names), when known. */
  firstChunkMs: number | null;
  chunks: ChunkSpan[];
  /** Placeholder segments (`gap-…`) as spans of playlist time. */
  gaps: { start: number; end: number }[];
  live: boolean;
}

export interface Attached {
  destroy(): void;
}

/**
 * Attaches `url` to `video`. For HLS, `onPlaylist` hears every playlist update (live ones grow); an MP4
 * has none. hls.js starts a live (EVENT) playlist near its end and a VOD at its start.
 */
export function attachVideo(
  video: HTMLVideoElement,
  url: string,
  type: 'hls_masterplaylist' | 'fullvideo',
  onPlaylist: (info: PlaylistInfo) => void,
): Attached {
  if (type === 'fullvideo' || !Hls.isSupported()) {
    video.src = url;
    return { destroy: () => video.removeAttribute('src') };
  }
  const hls = new Hls({
    // Keep what was played: reviewers go back over it, and backward steps seek into it.
    backBufferLength: 600,
    maxBufferLength: 30,
    capLevelToPlayerSize: true,
  });
  hls.on(Hls.Events.LEVEL_UPDATED, (_event, data: LevelUpdatedData) => {
    const fragments = data.details.fragments;
    const chunks: ChunkSpan[] = [];
    const gaps: { start: number; end: number }[] = [];
    for (const fragment of fragments) {
      const chunk = chunkOfSegment(fragment.relurl ?? fragment.url);
      if (chunk) chunks.push(chunk);
      else if (/(?:^|\/)gap-\d+-\d+\.ts/.test(fragment.relurl ?? ''))
        gaps.push({ start: fragment.start, end: fragment.start + fragment.duration });
    }
    const first = fragments[0] ? chunkOfSegment(fragments[0].relurl ?? fragments[0].url) : null;
    onPlaylist({
      duration: data.details.totalduration,
      firstChunkMs: first?.startMs ?? null,
      chunks,
      gaps,
      live: data.details.live,
    });
  });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    else hls.startLoad();
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return { destroy: () => hls.destroy() };
}

/** Resolves once `video` has its first picture to show. */
export function firstPicture(video: HTMLVideoElement): Promise<void> {
  if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) return Promise.resolve();
  return new Promise((resolve) => video.addEventListener('loadeddata', () => resolve(), { once: true }));
}

/** How far (s) the picture-in-picture may drift before it is put back in step. */
const MAX_DRIFT_SEC = 0.3;

/**
 * Keeps `follower` on `leader`'s position (minus `offset` seconds, for assets whose playlists start at
 * different server times), rate and pause. Called on every tick and on the leader's media events.
 */
export function followVideo(leader: HTMLVideoElement, follower: HTMLVideoElement, offset: number): void {
  const target = leader.currentTime - offset;
  if (target < 0) {
    if (!follower.paused) follower.pause();
    return;
  }
  if (follower.playbackRate !== leader.playbackRate) follower.playbackRate = leader.playbackRate;
  if (!follower.seeking && Math.abs(follower.currentTime - target) > MAX_DRIFT_SEC)
    follower.currentTime = target;
  if (leader.paused && !follower.paused) follower.pause();
  if (!leader.paused && follower.paused && !leader.seeking) void follower.play().catch(() => {});
}
