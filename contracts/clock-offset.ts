/**
 * Clock-offset estimation from NTP-style exchanges: the browser stamps t0 (send) and t3 (receive) with its
 * monotonic clock, the server stamps t1 = t2 (it answers at once). offset = server − client.
 * Pure and shared: the Worker turns exchanges into the samples a session's Durable Object keeps, the
 * recorder SDK keeps its own estimate with the same rules; both are tested without a browser or an object.
 */

/**
 * The subprotocol of the clock WebSocket (`/session/clock/socket`): offered with the candidate token as a
 * second value (browsers cannot set headers on a WebSocket), answered alone.
 */
export const CLOCK_PROTOCOL = 'ies-clock.v1';

export interface ClockSample {
  /** server − client, in milliseconds. */
  offsetMs: number;
  /** Round trip, in milliseconds. */
  rttMs: number;
  /** Server time the sample was taken. */
  atMs: number;
}

/** One exchange → one sample (RFC 5905 §8 with t1 = t2). */
export function sampleFrom(t0: number, serverMs: number, t3: number): ClockSample {
  return { offsetMs: serverMs - (t0 + t3) / 2, rttMs: t3 - t0, atMs: serverMs };
}

/**
 * The best estimate: the offset of the sample with the smallest round trip among the most recent ones,
 * since a short round trip bounds the error by rtt/2.
 */
export function bestOffset(samples: readonly ClockSample[], window = 8): ClockSample | null {
  let best: ClockSample | null = null;
  for (const sample of samples.slice(-window)) if (!best || sample.rttMs < best.rttMs) best = sample;
  return best;
}

/**
 * A clock jump: the offset moved by more than the round-trip uncertainty of both samples plus `toleranceMs`
 * (a candidate changing the system clock moves `Date.now()`-based offsets by seconds or hours).
 */
export function isClockJump(previous: ClockSample, next: ClockSample, toleranceMs = 1000): boolean {
  return Math.abs(next.offsetMs - previous.offsetMs) > (previous.rttMs + next.rttMs) / 2 + toleranceMs;
}

/** How far `Date.now()` may drift from the monotonic clock between two exchanges before it counts as changed. */
export const WALL_CLOCK_TOLERANCE_MS = 1000;

/**
 * A change of the browser's wall clock between two exchanges, from the skew `wall_ms − t0` each carried:
 * the monotonic t0 does not move when the candidate sets the system clock, `Date.now()` does. The change
 * in ms, signed (positive when the clock was set forward), or null within the tolerance.
 */
export function wallClockChange(
  previousSkewMs: number,
  skewMs: number,
  toleranceMs = WALL_CLOCK_TOLERANCE_MS,
): number | null {
  const change = skewMs - previousSkewMs;
  return Math.abs(change) > toleranceMs ? change : null;
}
