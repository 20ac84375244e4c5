import { describe, expect, it } from 'vitest';
import { mapLimit, SiblingFailedError } from '../../transcoder/parallel.ts';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('mapLimit', () => {
  it('keeps the input order with at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const result = await mapLimit([30, 10, 20, 5, 15], 2, async (ms, i) => {
      most = Math.max(most, ++inFlight);
      await tick(ms);
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(result).toEqual(['0:30', '1:10', '2:20', '3:5', '4:15']);
    expect(most).toBe(2);
  });

  it('on the first failure stops the running calls, starts no queued one, and rejects after all settled', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const reasons: unknown[] = [];
    const failure = new Error('upload refused');
    const map = mapLimit([0, 1, 2, 3], 2, async (n, _, signal) => {
      started.push(n);
      try {
        if (n === 0) {
          await tick(5);
          throw failure;
        }
        // A long call that stops when told to, a little later, as an aborted request does.
        await new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            setTimeout(() => reject(signal.reason), 20);
          }),
        );
      } finally {
        settled.push(n);
      }
    });
    await expect(map).rejects.toBe(failure);
    expect(started).toEqual([0, 1]);
    expect(settled.sort()).toEqual([0, 1]);
    // The stopped call is told it was stopped, so it does not pass for a failure of its own.
    expect(reasons).toEqual([expect.any(SiblingFailedError)]);
    expect((reasons[0] as Error).cause).toBe(failure);
  });

  it('stops when the caller aborts', async () => {
    const caller = new AbortController();
    const started: number[] = [];
    const map = mapLimit(
      [0, 1, 2],
      1,
      async (n, _, signal) => {
        started.push(n);
        caller.abort(new Error('shutting down'));
        signal.throwIfAborted();
      },
      caller.signal,
    );
    await expect(map).rejects.toThrow('shutting down');
    expect(started).toEqual([0]);
  });
});
