/**
 * Properties over generated inputs (fast-check): the chunk naming every part of the service reads, and the
 * timeline planner over any set of chunks a recorder, a network or an attacker could leave in `raw/`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_EXTENSIONS,
  formatChunkName,
  parseChunkKey,
  parseChunkName,
  rawPrefix,
} from '../../contracts/storage.ts';
import { dedupeChunks, slotChunks, type TimelineChunk } from '../../transcoder/timeline/chunks.ts';
import { frameAt } from '../../transcoder/timeline/grid.ts';
import { planTimeline } from '../../transcoder/timeline/plan.ts';

const TENANT = '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716';
const SESSION = '9f8e7d6c-5b4a-4321-8fed-cba987654321';
const T0 = 1_764_158_400_000;

const chunkName = fc.record({
  seq: fc.integer({ min: 0, max: 999_999 }),
  startMs: fc.integer({ min: 1_000_000_000_000, max: 9_999_999_999_999 }),
  durationMs: fc.integer({ min: 0, max: 60_000 }),
  ext: fc.constantFrom(...CHUNK_EXTENSIONS),
});

describe('chunk naming', () => {
  it('reads back every name it writes', () => {
    fc.assert(
      fc.property(chunkName, (chunk) => {
        expect(parseChunkName(formatChunkName(chunk))).toEqual(chunk);
      }),
    );
  });

  it('never throws on any text, and what it accepts it writes back the same', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      chunkName
        .map(formatChunkName)
        .chain((name) =>
          fc
            .tuple(fc.nat(name.length), fc.string({ maxLength: 3 }))
            .map(([at, insert]) => name.slice(0, at) + insert + name.slice(at + 1)),
        ),
    );
    fc.assert(
      fc.property(text, (name) => {
        const parsed = parseChunkName(name);
        if (parsed) expect(formatChunkName(parsed)).toBe(name);
      }),
    );
  });

  it('takes a key only under its own session, asset and allowed extension', () => {
    const prefix = fc.constantFrom(
      rawPrefix(TENANT, SESSION, 'screenshare'),
      rawPrefix(TENANT, SESSION, 'webcam'),
      rawPrefix(TENANT, SESSION, 'screenshots'),
      rawPrefix(TENANT, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'screenshare'),
      `proctor/ies/${TENANT}/${SESSION}/screenshare/processed/`,
      `proctor/ies/${TENANT}/${SESSION}/../${SESSION}/screenshare/raw/`,
    );
    fc.assert(
      fc.property(prefix, chunkName, (at, chunk) => {
        const key = `${at}${formatChunkName(chunk)}`;
        const parsed = parseChunkKey(key, TENANT, SESSION);
        if (parsed) {
          expect(key).toBe(`${rawPrefix(TENANT, SESSION, parsed.asset)}${formatChunkName(chunk)}`);
          expect(parsed).toMatchObject(chunk);
        }
      }),
    );
  });
});

/** Chunks around T0 as a recorder, a flaky network and a replay could leave them: any order, any overlap. */
const chunkSet = fc.array(
  fc.record({
    seq: fc.integer({ min: 0, max: 40 }),
    startMs: fc.integer({ min: T0, max: T0 + 200_000 }),
    durationMs: fc.integer({ min: 0, max: 12_000 }),
  }),
  { minLength: 1, maxLength: 40 },
);

describe('the timeline planner', () => {
  it('covers the session timeline exactly once, whatever the chunks: no frame twice, none missing', () => {
    fc.assert(
      fc.property(
        chunkSet,
        fc.constantFrom(10, 15, 30),
        fc.integer({ min: 0, max: 2000 }),
        (raw, fps, gapMs) => {
          const chunks: TimelineChunk[] = raw.map((c, i) => ({ ...c, key: `k${i}` }));
          const grid = { originMs: T0 - 60_000, fps };
          const { slotted } = slotChunks(grid, dedupeChunks(chunks).kept);
          if (slotted.length === 0) return;
          const startMs = Math.min(...chunks.map((c) => c.startMs));
          const endMs = Math.max(...chunks.map((c) => c.startMs + c.durationMs));
          const plan = planTimeline({ grid, chunks: slotted, startMs, endMs, gapThresholdMs: gapMs });

          // The listed durations tile the timeline from its first frame to its last, in order.
          let cursor = plan.span.start;
          for (const item of plan.items) {
            expect(item.span.start).toBe(cursor);
            expect(item.duration).toBeGreaterThanOrEqual(item.span.frames);
            expect(item.span.frames).toBeGreaterThan(0);
            cursor += item.duration;
          }
          expect(cursor).toBe(plan.span.start + plan.span.frames);
          expect(plan.span.start).toBeLessThanOrEqual(frameAt(grid, startMs));
          expect(plan.span.start + plan.span.frames).toBeGreaterThanOrEqual(frameAt(grid, endMs));
          // Each kept chunk appears once, in timeline order.
          const listed = plan.items.flatMap((item) => (item.kind === 'chunk' ? [item.chunk.key] : []));
          expect(listed).toEqual(slotted.map((c) => c.key));
        },
      ),
      { numRuns: 500 },
    );
  });
});
