import { describe, expect, it } from 'vitest';
import { type ChunkEncodePlan, chunkEncodeJob } from '../../transcoder/media/chunk.ts';
import { SEGMENT_COLOUR, toLimitedBt709 } from '../../transcoder/media/colour.ts';
import { placeholderJob } from '../../transcoder/media/placeholder.ts';
import { slotTiming } from '../../transcoder/media/timing.ts';

const timing = slotTiming({ startSec: 0, durationSec: 5 }, 10);
const LADDER = [
  { rendition: '360p', size: { width: 640, height: 360 }, target: '360p.ts' },
  { rendition: '720p', size: { width: 1280, height: 720 }, target: '720p.ts' },
] as const;

function graphOf(plan: Partial<ChunkEncodePlan>): string[] {
  const job = chunkEncodeJob({
    input: 'c.webm',
    source: { width: 1920, height: 1080 },
    hasAudio: false,
    timing,
    fps: 10,
    segments: [...LADDER],
    scaleFlags: 'bilinear',
    ...plan,
  });
  return (job.global[job.global.indexOf('-filter_complex') + 1] ?? '').split(';');
}

describe('toLimitedBt709', () => {
  it('reads the range and matrix the stream declares, and writes limited-range BT.709', () => {
    expect(toLimitedBt709({ colorRange: 'pc', colorSpace: 'bt709' })).toBe(
      'in_range=pc:in_color_matrix=bt709:out_range=tv:out_color_matrix=bt709',
    );
    expect(toLimitedBt709({ colorRange: 'tv', colorSpace: 'smpte170m' })).toBe(
      'in_range=tv:in_color_matrix=bt601:out_range=tv:out_color_matrix=bt709',
    );
    expect(toLimitedBt709({ colorSpace: 'bt470bg' })).toMatch(/^in_range=tv:in_color_matrix=bt601:/);
    expect(toLimitedBt709({ colorSpace: 'bt2020nc' })).toMatch(/:in_color_matrix=bt2020:/);
  });

  it('takes a stream that declares nothing as limited range, and tags its matrix as BT.709 without converting', () => {
    expect(toLimitedBt709({})).toBe('in_range=tv:in_color_matrix=bt709:out_range=tv:out_color_matrix=bt709');
    expect(toLimitedBt709({ colorSpace: 'gbr' })).toMatch(/:in_color_matrix=bt709:/);
  });
});

describe('the colour of every segment', () => {
  it('is converted once, by the scaler reading the source, and pinned to 4:2:0 there', () => {
    const graph = graphOf({ source: { width: 1920, height: 1080, colorRange: 'pc', colorSpace: 'bt709' } });
    const scalers = graph.filter((filter) => filter.includes('scale='));
    expect(scalers).toHaveLength(2);
    expect(scalers[0]).toContain(
      ':in_range=pc:in_color_matrix=bt709:out_range=tv:out_color_matrix=bt709,setsar=1,format=yuv420p,',
    );
    // The next scaler reads pictures the first has converted and tagged limited range.
    expect(scalers[1]).toBe('[scale1]scale=640:360:flags=bilinear,setsar=1[seg0]');
    expect(graph[0]).toBe('[0:v:0]null[scale0]');
  });

  it('converts at the source for every scaler that reads it, letterboxed or not', () => {
    const graph = graphOf({
      source: { width: 1920, height: 1080, colorRange: 'pc' },
      segments: [LADDER[0]],
      frames: {
        pattern: 'f/%d.jpg',
        thumbsPattern: 't/%d.jpg',
        fps: 1,
        size: { width: 400, height: 600 },
        thumbSize: { width: 160, height: 240 },
      },
    });
    // Neither size covers the other, so each is scaled from the source; the frames are letterboxed.
    const fromSource = graph.filter((filter) => filter.includes('in_range=pc'));
    expect(fromSource).toHaveLength(2);
    for (const filter of fromSource) expect(filter).toContain(',format=yuv420p');
    expect(graph[0]).toMatch(/^\[0:v:0]null,split=2/);
  });

  it('is declared limited-range BT.709 4:2:0 on chunk segments and placeholders alike', () => {
    const segments = [...LADDER];
    const jobs = [
      chunkEncodeJob({
        input: 'c.webm',
        source: { width: 1280, height: 720 },
        hasAudio: false,
        timing,
        fps: 10,
        segments,
        scaleFlags: 'bilinear',
      }),
      placeholderJob({ timing, fps: 10, segments }),
    ];
    for (const job of jobs) {
      for (const output of job.outputs) {
        const at = output.options.indexOf('-pix_fmt');
        expect(output.options.slice(at, at + SEGMENT_COLOUR.length)).toEqual([
          '-pix_fmt',
          'yuv420p',
          '-color_range',
          'tv',
          '-colorspace',
          'bt709',
          '-color_primaries',
          'bt709',
          '-color_trc',
          'bt709',
        ]);
      }
    }
  });
});
