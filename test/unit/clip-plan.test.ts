import { describe, expect, it } from 'vitest';
import { ClipRequest, clipIdOf, MAX_CLIP_MS } from '../../contracts/clips.ts';
import { clipJob, clipMetadata, planClip } from '../../transcoder/media/clip.ts';
import { toArgv } from '../../transcoder/media/job.ts';

const T0 = 1_764_158_400_000;
/** 20 segments of 5 s, one of 4.6 s (a placeholder) at index 7. */
const SEGMENTS = Array.from({ length: 20 }, (_, i) => ({
  uri: `720p/${String(i).padStart(6, '0')}.ts`,
  duration: i === 7 ? 4.6 : 5,
}));
const startOf = (index: number) =>
  T0 + SEGMENTS.slice(0, index).reduce((sum, segment) => sum + segment.duration * 1000, 0);

describe('planClip: the segments a clip copies', () => {
  it('starts at the boundary at or before the range start and ends at the range end', () => {
    const plan = planClip(SEGMENTS, T0, { startMs: T0 + 12_300, endMs: T0 + 27_000 });
    expect(plan.segments.map((s) => s.uri)).toEqual([2, 3, 4, 5].map((i) => SEGMENTS[i]?.uri));
    expect(plan.startMs).toBe(T0 + 10_000);
    expect(plan.endMs).toBe(T0 + 27_000);
    expect(plan.durationSec).toBeCloseTo(17, 6);
  });

  it('a range starting on a boundary starts there, and one ending on a boundary takes no segment after it', () => {
    const plan = planClip(SEGMENTS, T0, { startMs: T0 + 10_000, endMs: T0 + 20_000 });
    expect(plan.segments.map((s) => s.uri)).toEqual([SEGMENTS[2]?.uri, SEGMENTS[3]?.uri]);
    expect(plan.durationSec).toBe(10);
  });

  it('places segments by their EXTINF, so one shorter segment moves every later boundary', () => {
    const plan = planClip(SEGMENTS, T0, { startMs: startOf(9) + 100, endMs: startOf(9) + 1000 });
    expect(plan.segments.map((s) => s.uri)).toEqual([SEGMENTS[9]?.uri]);
    expect(plan.startMs).toBeCloseTo(T0 + 44_600, 6);
  });

  it('clips to the recording a range that starts before it or runs past its end', () => {
    const before = planClip(SEGMENTS, T0, { startMs: T0 - 3000, endMs: T0 + 6000 });
    expect(before.startMs).toBe(T0);
    expect(before.segments).toHaveLength(2);
    const end = startOf(20);
    const after = planClip(SEGMENTS, T0, { startMs: end - 2000, endMs: end + 30_000 });
    expect(after.segments.map((s) => s.uri)).toEqual([SEGMENTS[19]?.uri]);
    expect(after.endMs).toBeCloseTo(end, 6);
    expect(after.durationSec).toBeCloseTo(5, 6);
  });

  it('refuses a range outside the recording or ending before it starts', () => {
    expect(() => planClip(SEGMENTS, T0, { startMs: T0 - 9000, endMs: T0 })).toThrow(RangeError);
    expect(() => planClip(SEGMENTS, T0, { startMs: startOf(20), endMs: startOf(20) + 1 })).toThrow(
      RangeError,
    );
    expect(() => planClip(SEGMENTS, T0, { startMs: T0 + 5000, endMs: T0 + 5000 })).toThrow(RangeError);
    expect(() => planClip([], T0, { startMs: T0, endMs: T0 + 1 })).toThrow(RangeError);
  });

  it('lasts the range plus less than one segment, for any range inside the recording', () => {
    // A fixed linear congruential sequence: the same 500 ranges every run.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 500; i++) {
      const a = T0 + Math.floor(random() * 99_000);
      const b = Math.min(a + 1 + Math.floor(random() * 60_000), startOf(20));
      const plan = planClip(SEGMENTS, T0, { startMs: a, endMs: b });
      const lead = a - plan.startMs;
      expect(lead).toBeGreaterThanOrEqual(0);
      expect(lead).toBeLessThan(5000);
      expect(plan.durationSec * 1000).toBeCloseTo(b - a + lead, 6);
      const first = plan.segments[0];
      expect(first && first.startMs <= a && first.startMs + first.durationMs > a).toBe(true);
      const last = plan.segments.at(-1);
      expect(last && last.startMs < b && last.startMs + last.durationMs >= b).toBe(true);
    }
  });
});

describe('clip metadata and ffmpeg arguments', () => {
  const facts = {
    sessionId: '5f0c9a4e-8d1b-4c2a-9e3f-7a6b5c4d3e2f',
    asset: 'screenshare',
    rendition: '720p',
    requested: { startMs: T0 + 12_300, endMs: T0 + 27_000 },
    plan: { startMs: T0 + 10_000, endMs: T0 + 27_000 },
  };

  it('names the session, the range asked for and the range covered, in server time', () => {
    const metadata = clipMetadata(facts);
    expect(metadata.title).toContain(facts.sessionId);
    expect(metadata.creation_time).toBe(new Date(T0 + 10_000).toISOString());
    expect(metadata.comment).toContain(`requested ${new Date(T0 + 12_300).toISOString()}`);
    expect(metadata.comment).toContain(`clip ${new Date(T0 + 10_000).toISOString()}`);
  });

  it('copies, cuts at the duration, drops the input metadata and writes its own', () => {
    const argv = toArgv(
      clipJob({ playlist: 'clip.m3u8', target: 'clip.mp4', durationSec: 17, metadata: clipMetadata(facts) }),
    );
    expect(argv.slice(0, 2)).toEqual(['-i', 'clip.m3u8']);
    expect(argv.join(' ')).toContain('-c copy');
    expect(argv.join(' ')).toContain('-t 17.000 -map_metadata -1');
    expect(argv).toContain(`title=Evidence clip of session ${facts.sessionId}`);
    expect(argv).toContain(`creation_time=${new Date(T0 + 10_000).toISOString()}`);
    expect(argv.at(-1)).toBe('clip.mp4');
  });
});

describe('clip requests', () => {
  it('accepts a range of at most ten minutes, ending after it starts', () => {
    expect(ClipRequest.safeParse({ start_ms: T0, end_ms: T0 + MAX_CLIP_MS }).success).toBe(true);
    for (const bad of [
      { start_ms: T0, end_ms: T0 + MAX_CLIP_MS + 1 },
      { start_ms: T0, end_ms: T0 },
      { start_ms: T0 + 1, end_ms: T0 },
      { start_ms: -1, end_ms: T0 },
      { start_ms: T0 + 0.5, end_ms: T0 + 1000 },
      { start_ms: T0 },
      { start_ms: T0, end_ms: T0 + 1000, session_id: 'x' },
    ])
      expect(ClipRequest.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it('gives the same range the same id, and another range another id', async () => {
    const id = await clipIdOf('s', 'screenshare', 1, 2);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(await clipIdOf('s', 'screenshare', 1, 2)).toBe(id);
    expect(await clipIdOf('s', 'screenshare', 1, 3)).not.toBe(id);
    expect(await clipIdOf('t', 'screenshare', 1, 2)).not.toBe(id);
  });
});
