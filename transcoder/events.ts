/**
 * The events the transcoder announces (`ServiceEvent`, `contracts/jobs.ts`), each built in one place from
 * the code's own shapes; `Reporter.event` sends them.
 */
import type {
  FramesAvailableEvent,
  SessionFailedEvent,
  SessionProcessedEvent,
  StitchedVideoAvailableEvent,
  StoryboardAvailableEvent,
} from '../contracts/jobs.ts';
import type { RawChunk, VideoAsset } from '../contracts/storage.ts';
import type { SessionRef } from './storage/layout.ts';

/** What every event says: its version, its session and when it happened (`atMs`, Unix ms). */
function about(session: SessionRef, atMs: number) {
  return {
    version: 1,
    tenant_uuid: session.tenantId,
    session_uuid: session.sessionId,
    occurred_at: new Date(atMs).toISOString(),
  } as const;
}

/** Frames of one chunk are in S3 (a screenshot is a frame already: its own key). */
export function framesAvailable(
  session: SessionRef,
  chunk: Pick<RawChunk, 'asset' | 'seq'>,
  frameKeys: string[],
  atMs: number,
): FramesAvailableEvent {
  const { asset, seq } = chunk;
  return { ...about(session, atMs), type: 'frames.available', asset, seq, frame_keys: frameKeys };
}

/** The session is playable, as its ready report says. */
export function sessionProcessed(
  session: SessionRef,
  ready: { playback: SessionProcessedEvent['playback']; durationMs: number; manifestKey: string },
  atMs: number,
): SessionProcessedEvent {
  return {
    ...about(session, atMs),
    type: 'session.processed',
    playback: ready.playback,
    duration_ms: ready.durationMs,
    manifest_key: ready.manifestKey,
  };
}

/** A video asset's storyboard is written. */
export function storyboardAvailable(
  session: SessionRef,
  storyboard: { asset: VideoAsset; vtt: string; sheets: string[]; manifestKey: string },
  atMs: number,
): StoryboardAvailableEvent {
  return {
    ...about(session, atMs),
    type: 'storyboard.available',
    asset: storyboard.asset,
    vtt_key: storyboard.vtt,
    sheet_keys: storyboard.sheets,
    manifest_key: storyboard.manifestKey,
  };
}

/** A video asset's stitched MP4 is written. */
export function stitchedVideoAvailable(
  session: SessionRef,
  stitched: { asset: VideoAsset; key: string; manifestKey: string },
  atMs: number,
): StitchedVideoAvailableEvent {
  return {
    ...about(session, atMs),
    type: 'stitched_video.available',
    asset: stitched.asset,
    key: stitched.key,
    manifest_key: stitched.manifestKey,
  };
}

/** Finalize could not make the session playable. */
export function sessionFailed(session: SessionRef, reason: string, atMs: number): SessionFailedEvent {
  return { ...about(session, atMs), type: 'session.failed', reason };
}
