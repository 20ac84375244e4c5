import { describe, expect, it } from 'vitest';
import { type FrameGrid, originFor } from '../../transcoder/timeline/grid.ts';
import { type LiveChunk, planLive, releaseForLive } from '../../transcoder/timeline/live.ts';

const T0 = 1_764_158_400_000;
const HOLD = 30_000;
const grid: FrameGrid = { originMs: originFor(T0), fps: 10 };

/** Chunk `seq` of a steady 5 s recording, processed `arrivedAfterMs` after it ended. */
function chunk(seq: number, arrivedAfterMs = 500, decodable = true): LiveChunk {
  const startMs = T0 + seq * 5000;
  return {
    key: `raw/${String(seq).padStart(6, '0')}-${startMs}-4980.webm`,
    seq,
    startMs,
    durationMs: 4980,
    decodable,
    arrivedAtMs: startMs + 5000 + arrivedAfterMs,
  };
}

const seqs = (chunks: LiveChunk[]) => chunks.map((c) => c.seq);
const describeItems = (chunks: LiveChunk[], now: number) =>
  planLive(grid, releaseForLive(chunks, now, HOLD), 500).map((item) =>
    item.kind === 'chunk' ? `${item.chunk.seq}:${item.duration}` : `gap:${item.duration}`,
  );

describe('live release', () => {
  it('releases chunks as they arrive in order', () => {
    const chunks = [chunk(0), chunk(1), chunk(2)];
    expect(seqs(releaseForLive(chunks, T0 + 60_000, HOLD))).toEqual([0, 1, 2]);
  });

  it('holds chunks after a missing one until it arrives', () => {
    const late = chunk(1, 8000);
    const arrived = [chunk(0), chunk(2), chunk(3)];
    const whileMissing = (chunk(3).arrivedAtMs as number) + 1000;
    expect(seqs(releaseForLive(arrived, whileMissing, HOLD))).toEqual([0]);
    expect(seqs(releaseForLive([...arrived, late], late.arrivedAtMs, HOLD))).toEqual([0, 1, 2, 3]);
  });

  it('gives a missing chunk up once the hold has run since the first later chunk arrived', () => {
    const arrived = [chunk(0), chunk(2), chunk(3)];
    const giveUp = chunk(2).arrivedAtMs + HOLD;
    expect(seqs(releaseForLive(arrived, giveUp - 1, HOLD))).toEqual([0]);
    expect(seqs(releaseForLive(arrived, giveUp, HOLD))).toEqual([0, 2, 3]);
    // Once given up it stays a gap, so the playlist only ever grows.
    const tooLate = { ...chunk(1), arrivedAtMs: giveUp + 5 };
    expect(seqs(releaseForLive([...arrived, tooLate], giveUp + 10, HOLD))).toEqual([0, 2, 3]);
  });

  it('waits for the first chunk too', () => {
    const arrived = [chunk(1), chunk(2)];
    expect(seqs(releaseForLive(arrived, chunk(2).arrivedAtMs, HOLD))).toEqual([]);
    expect(seqs(releaseForLive(arrived, chunk(1).arrivedAtMs + HOLD, HOLD))).toEqual([1, 2]);
  });

  it('releases a burst that arrives out of order after an outage', () => {
    const burst = [0, 1, 2, 3, 4].map((seq) => ({
      ...chunk(seq),
      arrivedAtMs: T0 + 120_000 + ((seq * 7) % 5),
    }));
    expect(seqs(releaseForLive(burst, T0 + 120_010, HOLD))).toEqual([0, 1, 2, 3, 4]);
  });

  it('releases an undecodable chunk at once, as a gap', () => {
    const chunks = [chunk(0), chunk(1, 500, false), chunk(2), chunk(3)];
    expect(describeItems(chunks, T0 + 60_000)).toEqual(['0:50', 'gap:50', '2:50']);
  });
});

describe('live playlist items', () => {
  it('keeps the newest chunk back, since its duration absorbs the gap to a chunk not yet known', () => {
    expect(describeItems([chunk(0)], T0 + 60_000)).toEqual([]);
    expect(describeItems([chunk(0), chunk(1)], T0 + 60_000)).toEqual(['0:50']);
  });

  it('puts black over a given-up chunk', () => {
    const chunks = [chunk(0), chunk(2), chunk(3)];
    expect(describeItems(chunks, chunk(2).arrivedAtMs + HOLD)).toEqual(['0:50', 'gap:50', '2:50']);
  });

  it('only ever appends, whatever the arrival order, timing and chunk lengths', () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let run = 0; run < 100; run++) {
      let startMs = T0;
      const all = Array.from({ length: 16 }, (_, seq): LiveChunk => {
        // From 1 s to the longest a chunk may be (60 s), with a short restart gap after it.
        const durationMs = random() > 0.7 ? 1000 + Math.floor(random() * 59_000) : 4980;
        const arrivedAfterMs = random() > 0.8 ? Math.floor(random() * 90_000) : Math.floor(random() * 3000);
        const at = startMs;
        startMs += durationMs + Math.floor(random() * 60);
        return {
          key: `raw/${String(seq).padStart(6, '0')}-${at}-${durationMs}.webm`,
          seq,
          startMs: at,
          durationMs,
          decodable: random() > 0.1,
          arrivedAtMs: at + durationMs + arrivedAfterMs,
        };
      }).filter(() => random() > 0.1);
      let previous: string[] = [];
      for (let now = T0; now < startMs + 200_000; now += 1000) {
        const current = describeItems(
          all.filter((c) => c.arrivedAtMs <= now),
          now,
        );
        expect(current.slice(0, previous.length)).toEqual(previous);
        previous = current;
      }
    }
  });
});
