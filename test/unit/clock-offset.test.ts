import { describe, expect, it } from 'vitest';
import { bestOffset, isClockJump, sampleFrom } from '../../contracts/clock-offset.ts';

describe('clock offset estimation', () => {
  it('takes the midpoint of the round trip: a client 5 s behind has offset +5 s', () => {
    const sample = sampleFrom(1000, 6050, 1100);
    expect(sample).toEqual({ offsetMs: 5000, rttMs: 100, atMs: 6050 });
  });

  it('prefers the sample with the shortest round trip among the recent ones', () => {
    const samples = [
      { offsetMs: 5100, rttMs: 300, atMs: 1 },
      { offsetMs: 5002, rttMs: 10, atMs: 2 },
      { offsetMs: 4950, rttMs: 120, atMs: 3 },
    ];
    expect(bestOffset(samples)?.offsetMs).toBe(5002);
    expect(bestOffset(samples, 1)?.offsetMs).toBe(4950);
    expect(bestOffset([])).toBeNull();
  });

  it('keeps the shortest round trip of a start burst of 8, whatever order the replies come in', () => {
    const rtts = [40, 22, 95, 18, 60, 31, 200, 25];
    const burst = rtts.map((rtt, i) => sampleFrom(i * 1000, i * 1000 + 5000 + rtt / 2, i * 1000 + rtt));
    expect(bestOffset(burst)).toEqual({ offsetMs: 5000, rttMs: 18, atMs: 3000 + 5000 + 9 });
  });

  it('lets a re-sync replace an estimate older than the window', () => {
    const start = [sampleFrom(0, 5005, 10)];
    const later = Array.from({ length: 8 }, (_, i) =>
      sampleFrom(60_000 + i, 60_000 + i + 5020 + 20, 60_000 + i + 40),
    );
    expect(bestOffset([...start, ...later])?.offsetMs).toBe(5020);
  });

  it('flags a change of system clock but not round-trip noise', () => {
    const steady = { offsetMs: 5000, rttMs: 80, atMs: 0 };
    expect(isClockJump(steady, { offsetMs: 5060, rttMs: 90, atMs: 1 })).toBe(false);
    expect(isClockJump(steady, { offsetMs: 5000 + 3_600_000, rttMs: 90, atMs: 1 })).toBe(true);
    expect(isClockJump(steady, { offsetMs: 2000, rttMs: 90, atMs: 1 })).toBe(true);
  });
});
