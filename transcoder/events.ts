/**
 * The events the transcoder announces (`ServiceEvent`, `contracts/jobs.ts`), each built in one place from
 * the code's own shapes; `Reporter.event` sends them.
 */
import type { FramesAvailableEvent } from '../contracts/jobs.ts';
import type { RawChunk } from '../contracts/storage.ts';
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
  return {
    ...about(session, atMs),
    type: 'frames.available',
    asset: chunk.asset,
    seq: chunk.seq,
    frame_keys: frameKeys,
  };
}
