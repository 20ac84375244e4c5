import { describe, expect, it } from 'vitest';
import { chunkEncodeJob } from '../../transcoder/media/chunk.ts';
import { placeholderJob } from '../../transcoder/media/placeholder.ts';
import { slotTiming } from '../../transcoder/media/timing.ts';
import { graphOf, LADDER, outputFor, chunkPlan as plan, valuesOf } from '../support/ffmpeg-args.ts';

describe('placeholderJob', () => {
  const timing = slotTiming({ startSec: 10, durationSec: 2.5 }, 10);

  it('makes black frames of exact count and silence, from graph sources only', () => {
    const job = placeholderJob({ timing, fps: 10, segments: LADDER });
    expect(job.inputs).toEqual([]);
    const graph = graphOf(job);
    expect(graph.slice(0, 3)).toEqual([
      'color=c=black:s=640x360:r=10,trim=end_frame=25,format=yuv420p,setsar=1[v0]',
      'color=c=black:s=854x480:r=10,trim=end_frame=25,format=yuv420p,setsar=1[v1]',
      'color=c=black:s=1280x720:r=10,trim=end_frame=25,format=yuv420p,setsar=1[v2]',
    ]);
    expect(graph[3]).toMatch(
      /^anullsrc=r=48000:cl=mono,.*atrim=start_sample=1280:end_sample=120064,asplit=3\[a0]\[a1]\[a2]$/,
    );
  });

  it('encodes exactly like a chunk segment of the same slot, so the two concatenate', () => {
    const chunk = chunkEncodeJob(plan({ timing }));
    const placeholder = placeholderJob({ timing, fps: 10, segments: LADDER });
    for (const seg of LADDER)
      expect(outputFor(placeholder, seg.target)).toEqual(outputFor(chunk, seg.target));
    expect(valuesOf(outputFor(placeholder, 'out/360p/c.ts'), '-output_ts_offset')).toEqual(['20.000000']);
  });

  it('refuses a placeholder with no rendition', () => {
    expect(() => placeholderJob({ timing, fps: 10, segments: [] })).toThrow(RangeError);
  });
});
