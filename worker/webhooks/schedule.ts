/**
 * When a failed delivery is tried again: exponential backoff from a base delay (`WEBHOOK_RETRY_BASE_MS`,
 * 60 s by default), each wait doubling up to 4 hours, for 24 hours after the event. The last attempt is
 * made at 24 hours exactly, so whatever the base, a delivery is tried over the whole day and then fails.
 * With the default base: 1, 2, 4 … 128 minutes, then every 4 hours, and once more at 24 h — 14 attempts.
 */

/** How long a delivery is retried after its event. */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 4 * 60 * 60 * 1000;

/**
 * When attempt `attempts + 1` is due after attempt `attempts` (1 for the first) failed at `nowMs`, or
 * null when the window is over and the delivery fails.
 */
export function nextAttemptAt(
  createdAtMs: number,
  attempts: number,
  baseDelayMs: number,
  nowMs: number,
): number | null {
  const deadline = createdAtMs + RETRY_WINDOW_MS;
  if (nowMs >= deadline) return null;
  const delay = Math.min(baseDelayMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  return Math.min(nowMs + delay, deadline);
}
