import { describe, expect, it } from 'vitest';
import { chunkEncodeJob } from '../../transcoder/media/chunk.ts';
import type { SegmentTarget } from '../../transcoder/media/encoder.ts';
import { toArgv } from '../../transcoder/media/job.ts';
import { slotTiming } from '../../transcoder/media/timing.ts';
import { graphOf, LADDER, outputFor, chunkPlan as plan, valuesOf } from '../support/ffmpeg-args.ts';

/** What the scalers reading an untagged source add: read as limited BT.709, written as that. */
const TO_BT709 = 'in_range=tv:in_color_matrix=bt709:out_range=tv:out_color_matrix=bt709';
/** The input options of every run that reads a WebM chunk. */
const WEBM_INPUT = ['-f', 'matroska', '-format_whitelist', 'matroska', '-protocol_whitelist', 'file'];

describe('chunkEncodeJob', () => {
  it('writes one MPEG-TS segment per rendition, placed at base + slot start, with continuous-join flags', () => {
    const job = chunkEncodeJob(plan());
    expect(job.outputs.map((o) => o.target)).toEqual(LADDER.map((s) => s.target));
    for (const [i, seg] of LADDER.entries()) {
      const o = outputFor(job, seg.target);
      expect(valuesOf(o, '-map')).toEqual([`[v${i}]`, `[a${i}]`]);
      expect(valuesOf(o, '-output_ts_offset')).toEqual(['15.000000']);
      expect(valuesOf(o, '-mpegts_flags')).toEqual(['+initial_discontinuity']);
      expect(valuesOf(o, '-mpegts_copyts')).toEqual(['1']);
      expect(valuesOf(o, '-f')).toEqual(['mpegts']);
      expect(valuesOf(o, '-c:v')).toEqual(['libx264']);
      expect(valuesOf(o, '-x264-params')).toEqual([
        'repeat-headers=1:me=dia:subme=1:threads=1:rc-lookahead=3:bframes=0',
      ]);
      expect(valuesOf(o, '-sc_threshold')).toEqual(['0']);
      expect(valuesOf(o, '-g')).toEqual(['50']);
      expect(valuesOf(o, '-c:a')).toEqual(['aac']);
    }
    expect(valuesOf(outputFor(job, 'out/360p/c.ts'), '-maxrate:v')).toEqual(['800k']);
    expect(valuesOf(outputFor(job, 'out/360p/c.ts'), '-level:v')).toEqual(['3.0']);
    expect(valuesOf(outputFor(job, 'out/720p/c.ts'), '-maxrate:v')).toEqual(['2800k']);
    expect(valuesOf(outputFor(job, 'out/720p/c.ts'), '-bufsize:v')).toEqual(['2800k']);
    expect(valuesOf(outputFor(job, 'out/720p/c.ts'), '-level:v')).toEqual(['4.0']);
  });

  it('fills every rendition to exactly the slot: constant rate, last picture held, cut in the graph', () => {
    const job = chunkEncodeJob(plan({ timing: slotTiming({ startSec: 0, durationSec: 4.3 }, 10) }));
    const graph = graphOf(job);
    for (const i of [0, 1, 2]) {
      expect(graph).toContain(
        `[seg${i}]tpad=stop_mode=clone:stop_duration=0.100000,fps=10:start_time=0,tpad=stop_mode=clone:stop=43,trim=end_frame=43[v${i}]`,
      );
    }
    // -frames:v would close the outputs before the audio encoder has flushed.
    expect(toArgv(job)).not.toContain('-frames:v');
  });

  it('scales through a cascade, on the decoded frames, before any are duplicated', () => {
    const graph = graphOf(chunkEncodeJob(plan()));
    expect(graph.slice(0, 4)).toEqual([
      '[0:v:0]null[scale0]',
      `[scale0]scale=1280:720:flags=bilinear:${TO_BT709},setsar=1,format=yuv420p,split=2[scale1][seg2]`,
      '[scale1]scale=854:480:flags=bilinear,setsar=1,split=2[scale2][seg1]',
      '[scale2]scale=640:360:flags=bilinear,setsar=1[seg0]',
    ]);
  });

  it('letterboxes instead of stretching when the sizes given have another aspect ratio', () => {
    const graph = graphOf(
      chunkEncodeJob(plan({ source: { width: 1920, height: 1200 }, segments: [LADDER[2] as SegmentTarget] })),
    );
    expect(graph[1]).toBe(
      "[scale0]scale=w='max(2,2*trunc(min(1280/iw,720/ih)*iw/2))':h='max(2,2*trunc(min(1280/iw,720/ih)*ih/2))'" +
        `:flags=bilinear:${TO_BT709},pad=1280:720:-1:-1,setsar=1,format=yuv420p[seg0]`,
    );
  });

  it('keeps the chunk audio, resampled from time 0 and cut on the AAC grid', () => {
    const job = chunkEncodeJob(plan({ hasAudio: true }));
    const audio = graphOf(job).find((f) => f.includes('atrim')) ?? '';
    expect(audio).toBe(
      '[0:a:0]atrim=end=6.000000,aresample=48000:async=1:first_pts=0,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=mono,' +
        'apad,atrim=start_sample=640:end_sample=240256,asplit=3[a0][a1][a2]',
    );
    expect(toArgv(job).join(' ')).not.toContain('anullsrc');
  });

  it('adds silence, cut the same way, when the chunk has no audio', () => {
    const job = chunkEncodeJob(plan({ hasAudio: false }));
    const audio = graphOf(job).find((f) => f.includes('atrim')) ?? '';
    expect(audio).toBe(
      'anullsrc=r=48000:cl=mono,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=mono,' +
        'apad,atrim=start_sample=640:end_sample=240256,asplit=3[a0][a1][a2]',
    );
    expect(toArgv(job).join(' ')).not.toContain('[0:a');
    expect(job.inputs).toHaveLength(1);
  });

  it("keeps the chunk's own timestamps, so a track starting before 0 does not shift the others", () => {
    expect(chunkEncodeJob(plan()).global).toContain('-copyts');
  });

  it('does not rebuild the graph when the source size changes mid-chunk', () => {
    expect(chunkEncodeJob(plan()).inputs).toEqual([
      { options: [...WEBM_INPUT, '-threads', '1', '-reinit_filter', '0'], source: 'in/chunk.webm' },
    ]);
  });

  it('encodes a single rendition without splitting', () => {
    const job = chunkEncodeJob(
      plan({
        source: { width: 320, height: 180 },
        segments: [{ ...(LADDER[0] as SegmentTarget), size: { width: 320, height: 180 } }],
      }),
    );
    expect(graphOf(job).slice(0, 2)).toEqual([
      '[0:v:0]null[scale0]',
      `[scale0]scale=320:180:flags=bilinear:${TO_BT709},setsar=1,format=yuv420p[seg0]`,
    ]);
    expect(job.outputs).toHaveLength(1);
  });

  it('takes analysis frames and thumbnails from the same run, one per started period of the slot', () => {
    const frames = {
      pattern: 'stage/f/%d.jpg',
      thumbsPattern: 'stage/t/%d.jpg',
      fps: 1,
      size: { width: 1280, height: 720 },
      thumbSize: { width: 160, height: 90 },
    };
    const job = chunkEncodeJob(plan({ timing: slotTiming({ startSec: 0, durationSec: 4.3 }, 10), frames }));
    const graph = graphOf(job);
    expect(graph[1]).toBe(
      `[scale0]scale=1280:720:flags=bilinear:${TO_BT709},setsar=1,format=yuv420p,split=3[scale1][seg2][frame]`,
    );
    expect(graph).toContain(
      '[frame]tpad=stop_mode=clone:stop_duration=1.000000,fps=1:start_time=0:round=up,tpad=stop_mode=clone:stop=5,trim=end_frame=5,split=2[frames][thumbsource]',
    );
    expect(graph).toContain('[thumbsource]scale=160:90,setsar=1[thumbs]');
    for (const [label, target, q] of [
      ['[frames]', 'stage/f/%d.jpg', '3'],
      ['[thumbs]', 'stage/t/%d.jpg', '5'],
    ] as const) {
      const o = outputFor(job, target);
      expect(valuesOf(o, '-map')).toEqual([label]);
      expect(valuesOf(o, '-fps_mode')).toEqual(['passthrough']);
      expect(valuesOf(o, '-start_number')).toEqual(['0']);
      expect(valuesOf(o, '-q:v')).toEqual([q]);
      expect(valuesOf(o, '-f')).toEqual(['image2']);
    }
  });

  it('gives frames wider than any rendition their own scaler, the renditions scaled from it', () => {
    const frames = {
      pattern: 'f/%d.jpg',
      thumbsPattern: 't/%d.jpg',
      fps: 1,
      size: { width: 1280, height: 800 },
      thumbSize: { width: 160, height: 100 },
    };
    const job = chunkEncodeJob(
      plan({
        source: { width: 1440, height: 900 },
        segments: [{ rendition: '720p', size: { width: 1152, height: 720 }, target: 'o.ts' }],
        frames,
      }),
    );
    expect(graphOf(job).slice(0, 3)).toEqual([
      '[0:v:0]null[scale0]',
      `[scale0]scale=1280:800:flags=bilinear:${TO_BT709},setsar=1,format=yuv420p,split=2[scale1][frame]`,
      '[scale1]scale=1152:720:flags=bilinear,setsar=1[seg0]',
    ]);
  });

  it('refuses a chunk with no rendition', () => {
    expect(() => chunkEncodeJob(plan({ segments: [] }))).toThrow(RangeError);
  });

  it('passes every flag and value as its own argument, with global options that never read stdin', () => {
    const args = toArgv(chunkEncodeJob(plan({ hasAudio: true })));
    expect(args.filter((a) => a.startsWith('-') && a.includes(' '))).toEqual([]);
    expect(args.slice(0, 12)).toEqual([
      ...WEBM_INPUT,
      '-threads',
      '1',
      '-reinit_filter',
      '0',
      '-i',
      'in/chunk.webm',
    ]);
    expect(args).toEqual(expect.arrayContaining(['-nostdin', '-hide_banner', '-stats']));
    expect(valuesOf(args, '-v')).toEqual(['error']);
  });
});
