/** The webhook retry schedule: exponential from the base, capped, and over exactly 24 hours. */
import { describe, expect, it } from 'vitest';
import { nextAttemptAt, RETRY_WINDOW_MS } from '../../worker/webhooks/schedule.ts';

/** Every attempt's time when every attempt fails at once, from an event at 0. */
function attemptTimes(baseMs: number) {
  const times = [0];
  for (let attempts = 1; ; attempts++) {
    const next = nextAttemptAt(0, attempts, baseMs, times.at(-1) ?? 0);
    if (next === null) return times;
    times.push(next);
  }
}

describe('the webhook retry schedule', () => {
  it('doubles from 1 minute to 4 hours and makes its last attempt at 24 hours: 14 attempts', () => {
    const minutes = attemptTimes(60_000).map((ms) => ms / 60_000);
    expect(minutes).toEqual([0, 1, 3, 7, 15, 31, 63, 127, 255, 495, 735, 975, 1215, 1440]);
  });

  it('spans the 24 hours whatever the base, and ends', () => {
    for (const base of [10, 500, 60_000, 3_600_000]) {
      const times = attemptTimes(base);
      expect(times.at(-1)).toBe(RETRY_WINDOW_MS);
      expect(times.every((time, i) => i === 0 || time > (times[i - 1] ?? 0))).toBe(true);
    }
  });

  it('gives up once the window is over', () => {
    expect(nextAttemptAt(0, 3, 60_000, RETRY_WINDOW_MS)).toBeNull();
    expect(nextAttemptAt(1000, 1, 60_000, 1000)).toBe(61_000);
  });
});
