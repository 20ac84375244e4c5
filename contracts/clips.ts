/**
 * Evidence clips: a reviewer marks a range of a processed recording and gets an MP4 of it to attach to a
 * case. The Worker takes the request under the playback token (`worker/routes/clips.ts`), the transcoder
 * cuts the clip from the HLS segments (`transcoder/jobs/clip.ts`), and the object appearing is the sign
 * it is done. Times are server time (Unix ms), the clock chunks and integrity events are named on.
 */
import { z } from 'zod';
import { PROCESSED, processedPrefix, type VideoAsset } from './storage.ts';

/** The longest clip a reviewer may ask for: evidence is a moment, not the session (the stitched MP4 is that). */
export const MAX_CLIP_MS = 10 * 60 * 1000;

/** A clip's id: the first 128 bits of a SHA-256 of its session, asset and range, in hex (`clipIdOf`). */
export const ClipId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex digits');

/** `POST /playback/<token>/clips`. */
export const ClipRequest = z
  .strictObject({
    start_ms: z.int().min(0).describe('Where the clip starts, server time (Unix ms)'),
    end_ms: z.int().min(0).describe('Where the clip ends, server time (Unix ms)'),
  })
  .refine((range) => range.end_ms > range.start_ms, {
    message: 'must be after start_ms',
    path: ['end_ms'],
  })
  .refine((range) => range.end_ms - range.start_ms <= MAX_CLIP_MS, {
    message: `a clip lasts at most ${MAX_CLIP_MS / 60_000} minutes`,
    path: ['end_ms'],
  });
export type ClipRequest = z.infer<typeof ClipRequest>;

export const ClipAccepted = z.object({
  clip_id: ClipId,
  status_url: z.url().describe('GET it until `status` is `ready`'),
});
export type ClipAccepted = z.infer<typeof ClipAccepted>;

export const CLIP_STATUSES = ['pending', 'ready', 'failed'] as const;

/** `GET /playback/<token>/clips/<clip_id>`. */
export const ClipStatus = z.object({
  clip_id: ClipId,
  status: z.enum(CLIP_STATUSES),
  start_ms: z.int(),
  end_ms: z.int(),
  url: z.url().nullable().describe('Once ready: the MP4, under the same playback token'),
  expires_at: z.iso.datetime().nullable().describe('When `url` stops working (the token expires)'),
  reason: z.string().nullable().describe('Why the clip failed'),
});
export type ClipStatus = z.infer<typeof ClipStatus>;

/** What `<clip_id>.json` holds: the request, written by the Worker, and its failure, by the transcoder. */
export const ClipRecord = z.object({
  version: z.literal(1),
  clip_id: ClipId,
  status: z.enum(['pending', 'failed']),
  start_ms: z.int(),
  end_ms: z.int(),
  requested_at: z.iso.datetime(),
  reason: z.string().max(1000).optional(),
});
export type ClipRecord = z.infer<typeof ClipRecord>;

/** Where a clip and its record live, under the asset's `processed/` folder the playback proxy serves. */
export function clipKeys(tenantUuid: string, sessionUuid: string, asset: VideoAsset, clipId: string) {
  const base = `${processedPrefix(tenantUuid, sessionUuid, asset)}${PROCESSED.clips}${clipId}`;
  return { video: `${base}.mp4`, record: `${base}.json` };
}

/**
 * The id of the clip of `[startMs, endMs)` of one asset: the same range gives the same id, so asking
 * again finds the clip already made instead of cutting it twice.
 */
export async function clipIdOf(
  sessionUuid: string,
  asset: VideoAsset,
  startMs: number,
  endMs: number,
): Promise<string> {
  const text = `${sessionUuid}|${asset}|${startMs}|${endMs}`;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
