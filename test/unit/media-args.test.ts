import { describe, expect, it } from 'vitest';
import {
  type ChunkEncodePlan,
  chunkEncodeJob,
  type FfmpegJob,
  frameCount,
  frameOffsetMs,
  placeholderJob,
  type SegmentTarget,
  scaleCascade,
  slotTiming,
  stitchJob,
  storyboardJob,
  TIMELINE_BASE_OFFSET_SEC,
  toArgv,
} from '../../transcoder/media/args.ts';
import { parseStats } from '../../transcoder/media/tool-process.ts';

const HD = { width: 1920, height: 1080 };
/** What the scalers reading an untagged source add: read as limited BT.709, written as that. */
const TO_BT709 = 'in_range=tv:in_color_matrix=bt709:out_range=tv:out_color_matrix=bt709';
/** The input options of every run that reads a WebM chunk. */
const WEBM_INPUT = ['-f', 'matroska', '-format_whitelist', 'matroska', '-protocol_whitelist', 'file'];
const LADDER: SegmentTarget[] = [
  { rendition: '360p', size: { width: 640, height: 360 }, target: 'out/360p/c.ts' },
  { rendition: '480p', size: { width: 854, height: 480 }, target: 'out/480p/c.ts' },
  { rendition: '720p', size: { width: 1280, height: 720 }, target: 'out/720p/c.ts' },
];

function plan(overrides: Partial<ChunkEncodePlan> = {}): ChunkEncodePlan {
  return {
    input: 'in/chunk.webm',
    source: HD,
    hasAudio: false,
    timing: slotTiming({ startSec: 5, durationSec: 5 }, 10),
    fps: 10,
    segments: LADDER,
    scaleFlags: 'bilinear',
    ...overrides,
  };
}

/** The value following `flag` in each place it occurs. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

function graphOf(job: FfmpegJob): string[] {
  return (valuesOf(job.global, '-filter_complex')[0] ?? '').split(';');
}

/** The options of the output writing `target`. */
function outputFor(job: FfmpegJob, target: string): string[] {
  const output = job.outputs.find((o) => o.target === target);
  if (!output) throw new Error(`no output ${target}`);
  return output.options;
}

describe('slotTiming', () => {
  it('places a slot on the frame grid with the constant base offset', () => {
    const t = slotTiming({ startSec: 5, durationSec: 5 }, 10);
    expect(t).toMatchObject({ startFrame: 50, frameCount: 50, startSec: 5, durationSec: 5 });
    expect(t.offsetSec).toBe(TIMELINE_BASE_OFFSET_SEC + 5);
  });

  it('rounds both ends to the nearest frame, so consecutive slots tile exactly', () => {
    const t = slotTiming({ startSec: 1.234, durationSec: 4.9 }, 10);
    expect(t).toMatchObject({ startFrame: 12, frameCount: 49, startSec: 1.2, durationSec: 4.9 });
    const starts = [0, 4.987, 10.013, 14.999, 20.02];
    for (let i = 0; i + 1 < starts.length; i++) {
      const a = slotTiming(
        { startSec: starts[i] ?? 0, durationSec: (starts[i + 1] ?? 0) - (starts[i] ?? 0) },
        10,
      );
      const b = slotTiming({ startSec: starts[i + 1] ?? 0, durationSec: 1 }, 10);
      expect(a.startFrame + a.frameCount).toBe(b.startFrame);
    }
  });

  it('cuts audio on the AAC grid: the priming frame starts where the previous slot ended', () => {
    // Session samples covered by a segment's AAC packets, priming frame included.
    const packets = (startSec: number, durationSec: number, fps: number) => {
      const t = slotTiming({ startSec, durationSec }, fps);
      const first = (t.startFrame * 48_000) / fps + t.audio.skipSamples;
      return { from: first - 1024, to: first + t.audio.sampleCount, t };
    };
    for (const fps of [10, 15, 30]) {
      let previous = packets(0, 4.9, fps);
      expect(previous.from).toBe(0);
      for (const [start, length] of [
        [4.9, 5.05],
        [9.95, 0.5],
        [10.45, 7.3],
        [17.75, 2],
      ] as const) {
        const next = packets(start, length, fps);
        expect(next.from).toBe(previous.to);
        expect(next.from % 1024).toBe(0);
        expect(next.t.audio.sampleCount % 1024).toBe(0);
        // The skipped part is at most one AAC frame and a half (≤ 32 ms) of the slot's own audio.
        expect(next.t.audio.skipSamples).toBeGreaterThan(0);
        expect(next.t.audio.skipSamples).toBeLessThanOrEqual(1536);
        previous = next;
      }
    }
  });

  it('gives the first slot of a session its grid values', () => {
    expect(slotTiming({ startSec: 0, durationSec: 5 }, 10).audio).toEqual({
      skipSamples: 1024,
      sampleCount: 238_592,
    });
    expect(slotTiming({ startSec: 5, durationSec: 5 }, 10).audio).toEqual({
      skipSamples: 640,
      sampleCount: 239_616,
    });
  });

  it('keeps a far-from-zero origin exact', () => {
    const t = slotTiming({ startSec: 43_200.3, durationSec: 5 }, 10);
    expect(t.offsetSec).toBe(43_210.3);
    expect(t.frameCount).toBe(50);
  });

  it.each([0, 7, 12.5, 61, -10])('refuses fps %s', (fps) => {
    expect(() => slotTiming({ startSec: 0, durationSec: 5 }, fps)).toThrow(RangeError);
  });

  it.each([
    [{ startSec: 0, durationSec: 0.04 }, 10],
    [{ startSec: 0, durationSec: 0 }, 10],
    [{ startSec: 0, durationSec: -1 }, 10],
    [{ startSec: 0, durationSec: 0.02 }, 60],
    [{ startSec: -1, durationSec: 5 }, 10],
    [{ startSec: Number.NaN, durationSec: 5 }, 10],
  ])('refuses slot %j at %i fps', (slot, fps) => {
    expect(() => slotTiming(slot, fps)).toThrow(RangeError);
  });
});

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
        `[seg${i}]fps=10:start_time=0,tpad=stop_mode=clone:stop=43,trim=end_frame=43[v${i}]`,
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
      '[frame]fps=1:start_time=0:round=up,tpad=stop_mode=clone:stop=5,trim=end_frame=5,split=2[frames][thumbsource]',
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

describe('frame naming', () => {
  it.each([
    [5, 1, 5],
    [4.3, 1, 5],
    [4, 1, 4],
    [4.9, 2, 10],
    [5, 0.5, 3],
  ])('%f s at %f fps gives %i frames', (duration, fps, count) => {
    expect(frameCount(duration, fps)).toBe(count);
  });

  it('offsets frames by whole milliseconds', () => {
    expect([0, 1, 2].map((i) => frameOffsetMs(i, 1))).toEqual([0, 1000, 2000]);
    expect([0, 1, 2].map((i) => frameOffsetMs(i, 3))).toEqual([0, 333, 667]);
  });
});

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

describe('scaleCascade', () => {
  it('makes each distinct size once, largest first, from the smallest larger picture', () => {
    expect(
      scaleCascade([
        { width: 640, height: 360 },
        { width: 1280, height: 720 },
        { width: 854, height: 480 },
        { width: 1280, height: 720 },
      ]),
    ).toEqual([
      { size: { width: 1280, height: 720 }, from: -1 },
      { size: { width: 854, height: 480 }, from: 0 },
      { size: { width: 640, height: 360 }, from: 1 },
    ]);
  });

  it('goes back to the source for a size no made picture covers', () => {
    expect(
      scaleCascade([
        { width: 1280, height: 720 },
        { width: 1000, height: 800 },
      ]),
    ).toEqual([
      { size: { width: 1280, height: 720 }, from: -1 },
      { size: { width: 1000, height: 800 }, from: -1 },
    ]);
  });
});

describe('storyboardJob', () => {
  const base = {
    source: 'local/index_360p.m3u8',
    sourceSize: { width: 640, height: 360 },
    intervalSec: 2,
    tileCount: 37,
    tile: { width: 160, height: 90 },
    columns: 10,
    rows: 4,
    pattern: 'sb/sheet_%d.jpg',
    keyframesOnly: false,
  };

  it('samples one picture per interval, holds the last, cuts at the tile count and tiles it', () => {
    const job = storyboardJob(base);
    expect(graphOf(job)).toEqual([
      '[0:v:0]tpad=stop_mode=clone:stop=-1,fps=1/2:start_time=0,trim=end_frame=37,scale=160:90,setsar=1,tile=10x4[sheets]',
    ]);
    expect(job.inputs).toEqual([{ options: [], source: 'local/index_360p.m3u8' }]);
    expect(job.outputs[0]?.target).toBe('sb/sheet_%d.jpg');
    expect(valuesOf(job.outputs[0]?.options ?? [], '-start_number')).toEqual(['0']);
    expect(valuesOf(job.outputs[0]?.options ?? [], '-fps_mode')).toEqual(['passthrough']);
  });

  it('decodes keyframes only when asked', () => {
    expect(storyboardJob({ ...base, keyframesOnly: true }).inputs[0]?.options).toEqual([
      '-skip_frame',
      'nokey',
    ]);
  });
});

describe('stitchJob', () => {
  it('copies video and audio into a fast-start MP4', () => {
    const job = stitchJob({ playlist: 'p/index_720p.m3u8', target: 'out.partial' });
    expect(toArgv(job)).toEqual([
      '-i',
      'p/index_720p.m3u8',
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-stats',
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-c',
      'copy',
      '-bsf:a',
      'aac_adtstoasc',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      'out.partial',
    ]);
  });
});

describe('parseStats', () => {
  it.each([
    [
      'frame=   50 fps=0.0 q=-1.0 Lq=1.6 size=     110kB time=00:00:05.00 bitrate= 179.6kbits/s speed=67.4x',
      { frame: 50, seconds: 5 },
    ],
    ['size=    2048kB time=01:02:03.50 bitrate=  270.3kbits/s speed= 900x', { frame: null, seconds: 3723.5 }],
    ['frame=    0 fps=0.0 q=0.0 size=       0kB time=-00:00:00.02 bitrate=N/A', { frame: 0, seconds: null }],
    ['frame=    3 fps=0.0 q=0.0 size=       0kB time=N/A bitrate=N/A', { frame: 3, seconds: null }],
    ['[h264 @ 0x55] error while decoding MB 3 2', null],
  ])('%s → %j', (line, stats) => {
    expect(parseStats(line)).toEqual(stats);
  });
});
