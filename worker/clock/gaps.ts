/**
 * When a live recording counts as interrupted: an asset's next chunk notice is late by more than twice
 * the chunk length. Pure, so the rule is tested without a Durable Object or a clock.
 */

/** An asset's latest chunk as its notice named it (server-time ms). */
export interface NoticedChunk {
  seq: number;
  startMs: number;
  /** 0 for a still image. */
  durationMs: number;
}

/** A notice's lateness past which the chunk stream counts as interrupted, in chunk lengths. */
export const GAP_CHUNK_LENGTHS = 2;

/**
 * The length the asset's chunks come at: the last chunk's duration; for still images (duration 0) the
 * interval since the asset's previous one. null when neither is known (the first still image).
 */
export function chunkLength(chunk: NoticedChunk, previousStartMs: number | null): number | null {
  if (chunk.durationMs > 0) return chunk.durationMs;
  if (previousStartMs === null || chunk.startMs <= previousStartMs) return null;
  return chunk.startMs - previousStartMs;
}

/**
 * When the next chunk is late: twice the chunk length after this chunk is complete, counted from the later
 * of its end and its notice (a recorder announces a chunk only once it is uploaded, and a queue flushed after
 * an outage announces old chunks).
 */
export function gapDeadline(chunk: NoticedChunk, lengthMs: number, noticedAtMs: number): number {
  return Math.max(chunk.startMs + chunk.durationMs, noticedAtMs) + GAP_CHUNK_LENGTHS * lengthMs;
}
