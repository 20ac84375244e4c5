/**
 * Real ffmpeg on small generated chunks: a session of three chunks and a gap, encoded chunk by chunk
 * into every rendition, must play as one continuous timeline, with black and silence over the gap.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RENDITIONS, type Rendition } from '../../contracts/storage.ts';
import { createJsonLogger } from '../../transcoder/log.ts';
import {
  buildStoryboard,
  createMediaRunner,
  type EncodeChunkResult,
  encodeChunk,
  encodePlaceholder,
  FfmpegError,
  isInputFailure,
  probeChunk,
  RENDITION_LADDER,
  type SegmentsResult,
  stitch,
  TIMELINE_BASE_OFFSET_SEC,
} from '../../transcoder/media/index.ts';
import { makeChunk, makeResizingChunk, makeSyncChunk, makeUndecodableChunk } from '../support/chunks.ts';
import { blackSpans, h264Fields, media, topLevelBoxes } from '../support/media.ts';

const run = promisify(execFile);

async function ffprobeJson<T>(args: string[]): Promise<T> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args]);
  return JSON.parse(stdout) as T;
}

interface Packet {
  stream_index: number;
  pts: number;
  dts: number;
  duration: number;
  flags: string;
}

async function packetsOf(file: string): Promise<{ video: Packet[]; audio: Packet[] }> {
  const { streams, packets } = await ffprobeJson<{
    streams: { index: number; codec_type: string }[];
    packets: Packet[];
  }>(['-show_entries', 'stream=index,codec_type:packet=stream_index,pts,dts,duration,flags', file]);
  const indexOf = (type: string) => streams.find((s) => s.codec_type === type)?.index;
  return {
    video: packets.filter((p) => p.stream_index === indexOf('video')),
    audio: packets.filter((p) => p.stream_index === indexOf('audio')),
  };
}

/** ffmpeg's stderr for a run that should say nothing. */
async function ffmpegComplaints(args: string[]): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', ...args]);
  return stderr.trim();
}

const TICKS = 90_000;
const FPS = 10;
const START_MS = 1_764_158_400_123;

/** The session: slots of the timeline, what fills each, as the finalize planner hands them over. */
const SESSION = [
  { kind: 'chunk', name: 'c0', slot: { startSec: 0, durationSec: 3 } },
  { kind: 'chunk', name: 'c1', slot: { startSec: 3, durationSec: 3 } },
  { kind: 'placeholder', name: 'gap', slot: { startSec: 6, durationSec: 2 } },
  { kind: 'chunk', name: 'c2', slot: { startSec: 8, durationSec: 2.5 } },
] as const;
const SESSION_SEC = 10.5;

let dir: string;
let out: string;
const encoded = new Map<string, SegmentsResult>();
let first: EncodeChunkResult;
const progress: number[] = [];

function segment(name: string, rendition: Rendition): string {
  const file = encoded.get(name)?.segments[rendition];
  if (!file) throw new Error(`no ${rendition} segment for ${name}`);
  return file;
}

async function playlist(rendition: Rendition): Promise<string> {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:3', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (const item of SESSION) {
    lines.push(
      `#EXTINF:${encoded.get(item.name)?.timing.durationSec.toFixed(3)},`,
      basename(segment(item.name, rendition)),
    );
  }
  lines.push('#EXT-X-ENDLIST', '');
  const file = join(out, rendition, 'index.m3u8');
  await writeFile(file, lines.join('\n'));
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ies-media-encode-'));
  out = join(dir, 'out');
  const inputs = {
    // Video only, and its last frame at 2.2 s of a 3 s slot: the encoder must hold it to the end.
    c0: await makeChunk(dir, {
      name: 'c0.webm',
      codec: 'vp8',
      width: 1280,
      height: 720,
      durationSec: 3,
      contentSec: 2.2,
    }),
    c1: await makeChunk(dir, {
      name: 'c1.webm',
      codec: 'vp9',
      width: 1280,
      height: 720,
      durationSec: 3,
      audio: true,
    }),
    c2: await makeChunk(dir, {
      name: 'c2.webm',
      codec: 'vp8',
      width: 1280,
      height: 720,
      durationSec: 2.5,
      audio: true,
    }),
  };
  for (const item of SESSION) {
    if (item.kind === 'chunk') {
      const result = await encodeChunk(media, {
        input: inputs[item.name],
        probe: await probeChunk(media, inputs[item.name]),
        outDir: out,
        name: item.name,
        slot: item.slot,
        renditions: [...RENDITIONS],
        fps: FPS,
        frames: {
          dir: join(out, 'frames'),
          thumbsDir: join(out, 'thumbnails'),
          chunkStartMs: START_MS + item.slot.startSec * 1000,
        },
        onProgress: item.name === 'c0' ? (f) => progress.push(f) : undefined,
      });
      if (item.name === 'c0') first = result;
      encoded.set(item.name, result);
    } else {
      encoded.set(
        item.name,
        await encodePlaceholder(media, {
          outDir: out,
          name: item.name,
          slot: item.slot,
          renditions: [...RENDITIONS],
          resolutions: first.resolutions,
          fps: FPS,
        }),
      );
    }
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('chunk and placeholder segments', () => {
  it('writes every rendition at its size, never above the source', () => {
    expect(first.resolutions).toEqual({
      '360p': { width: 640, height: 360 },
      '480p': { width: 854, height: 480 },
      '720p': { width: 1280, height: 720 },
    });
    for (const item of SESSION) {
      expect(Object.keys(encoded.get(item.name)?.segments ?? {})).toEqual([...RENDITIONS]);
    }
  });

  it('makes each segment exactly its slot, at base + slot start, starting with a keyframe', async () => {
    for (const item of SESSION) {
      for (const rendition of RENDITIONS) {
        const { video } = await packetsOf(segment(item.name, rendition));
        const pts = video.map((p) => p.pts).sort((a, b) => a - b);
        expect(pts[0]).toBe((TIMELINE_BASE_OFFSET_SEC + item.slot.startSec) * TICKS);
        expect(video).toHaveLength(Math.round(item.slot.durationSec * FPS));
        expect((pts.at(-1) ?? 0) + TICKS / FPS - (pts[0] ?? 0)).toBe(item.slot.durationSec * TICKS);
        expect(video[0]?.flags.startsWith('K')).toBe(true);
        expect(video.filter((p) => p.flags.startsWith('K'))).toHaveLength(1);
      }
    }
  });

  it('always carries AAC audio, contiguous from segment to segment, and DTS steps of one frame', async () => {
    for (const rendition of RENDITIONS) {
      let previous: { audioEnd: number; lastDts: number } | undefined;
      for (const item of SESSION) {
        const { video, audio } = await packetsOf(segment(item.name, rendition));
        expect(audio.length).toBeGreaterThan(0);
        const audioStart = audio[0]?.pts ?? 0;
        const last = audio.at(-1);
        const audioEnd = (last?.pts ?? 0) + (last?.duration ?? 0);
        // Within a frame of the slot at both ends.
        expect(Math.abs(audioStart - (TIMELINE_BASE_OFFSET_SEC + item.slot.startSec) * TICKS)).toBeLessThan(
          TICKS / FPS,
        );
        if (previous) {
          expect(audioStart).toBe(previous.audioEnd);
          expect(video[0]?.dts).toBe(previous.lastDts + TICKS / FPS);
        }
        for (let i = 1; i < video.length; i++)
          expect((video[i]?.dts ?? 0) - (video[i - 1]?.dts ?? 0)).toBe(TICKS / FPS);
        previous = { audioEnd, lastDts: video.at(-1)?.dts ?? 0 };
      }
    }
    const streams = await ffprobeJson<{ streams: Record<string, string | number>[] }>([
      '-show_entries',
      'stream=codec_name,profile,sample_rate,channels',
      '-select_streams',
      'a',
      segment('gap', '360p'),
    ]);
    expect(streams.streams[0]).toMatchObject({
      codec_name: 'aac',
      profile: 'LC',
      sample_rate: '48000',
      channels: 1,
    });
  });

  it('encodes what the ladder declares in CODECS', async () => {
    for (const rendition of RENDITIONS) {
      const field = await h264Fields(segment('c1', rendition));
      const constraints = [0, 1, 2, 3, 4, 5].reduce(
        (byte, i) => byte | (field(`constraint_set${i}_flag`) << (7 - i)),
        0,
      );
      const hex = (n: number) => n.toString(16).padStart(2, '0');
      expect(`avc1.${hex(field('profile_idc'))}${hex(constraints)}${hex(field('level_idc'))},mp4a.40.2`).toBe(
        RENDITION_LADDER[rendition].codecs,
      );
    }
  });

  it('plays chunks and placeholder from a playlist without a single complaint', async () => {
    for (const rendition of RENDITIONS) {
      expect(
        await ffmpegComplaints(['-v', 'warning', '-i', await playlist(rendition), '-f', 'null', '-']),
      ).toBe('');
    }
  });

  it('shows black over the placeholder and nowhere else', async () => {
    const spans = await blackSpans(await playlist('360p'), 'd=0.5');
    expect(spans).toHaveLength(1);
    expect(spans[0]?.[0]).toBeCloseTo(6, 1);
    expect(spans[0]?.[1]).toBeCloseTo(8, 1);
  });

  it('reports progress up to the whole slot', () => {
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((f, i) => f >= 0 && f <= 1 && f >= (progress[i - 1] ?? 0))).toBe(true);
  });
});

describe('audio/video sync', () => {
  it('keeps a beep on the flash it was recorded with, wherever the slot starts', async () => {
    const input = await makeSyncChunk(dir, 1);
    const probe = await probeChunk(media, input);
    for (const startSec of [3.37, 7.23]) {
      const { segments } = await encodeChunk(media, {
        input,
        probe,
        outDir: join(dir, 'sync'),
        name: `s${startSec}`,
        slot: { startSec, durationSec: 3 },
        renditions: ['360p'],
        fps: FPS,
      });
      const file = segments['360p'] ?? '';
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `movie=${file},signalstats`,
        '-show_entries',
        'frame=pts_time:frame_tags=lavfi.signalstats.YAVG',
        '-of',
        'csv=p=0',
      ]);
      const flash = stdout
        .trim()
        .split('\n')
        .map((line) => line.split(',').map(Number))
        .find(([, luma]) => (luma ?? 0) > 200)?.[0];
      const { stderr } = await run('ffmpeg', [
        '-hide_banner',
        '-copyts',
        '-i',
        file,
        '-vn',
        '-af',
        'silencedetect=n=-30dB:d=0.05',
        '-f',
        'null',
        '-',
      ]);
      const beep = Number(/silence_end: ([\d.]+)/.exec(stderr)?.[1]);
      const slotStart = TIMELINE_BASE_OFFSET_SEC + Math.round(startSec * FPS) / FPS;
      expect(flash).toBeCloseTo(slotStart + 1, 6);
      // silencedetect finds the onset within a few ms; a frame is 100 ms.
      expect(Math.abs(beep - (slotStart + 1))).toBeLessThan(0.005);
    }
  });
});

describe('frames and thumbnails', () => {
  it('writes one frame a second of each chunk, named by server-time milliseconds', async () => {
    const expected = (startSec: number, durationSec: number) =>
      Array.from(
        { length: Math.ceil(durationSec) },
        (_, i) => `${START_MS + startSec * 1000 + i * 1000}.jpg`,
      );
    const names = SESSION.filter((i) => i.kind === 'chunk').flatMap((i) =>
      expected(i.slot.startSec, i.slot.durationSec),
    );
    expect((await readdir(join(out, 'frames'))).sort()).toEqual(names.sort());
    expect((await readdir(join(out, 'thumbnails'))).sort()).toEqual(names.sort());
    expect(first.frames.map((f) => basename(f))).toEqual(expected(0, 3));
    expect(first.thumbnails.map((f) => basename(f))).toEqual(expected(0, 3));
  });

  it('sizes frames at most 1280 wide and thumbnails 160 wide', async () => {
    const size = async (file: string) =>
      (
        await ffprobeJson<{ streams: { width: number; height: number }[] }>([
          '-show_entries',
          'stream=width,height',
          file,
        ])
      ).streams[0];
    expect(await size(first.frames[0] ?? '')).toEqual({ width: 1280, height: 720 });
    expect(await size(first.thumbnails[0] ?? '')).toEqual({ width: 160, height: 90 });
  });
});

describe('chunks of a screen that barely changes', () => {
  /**
   * VP8 WebM as a browser's screen capture makes it: a picture only when the screen changes. `pictures`
   * are [second, colour] pairs; the chunk ends at its last picture, as MediaRecorder's do.
   */
  async function screenChunk(name: string, pictures: [number, string][]) {
    const file = join(dir, `${name}.webm`);
    const colourAt = pictures
      .map(([at, colour]) => `drawbox=c=${colour}:t=fill:enable='gte(t,${at})'`)
      .join(',');
    const times = pictures.map(([at]) => at);
    await run('ffmpeg', [
      ...['-hide_banner', '-nostdin', '-v', 'error', '-f', 'lavfi'],
      ...['-i', `color=black:s=640x360:r=10:d=${(times.at(-1) ?? 0) + 0.1},${colourAt}`],
      ...['-vf', `select='${times.map((at) => `eq(n,${Math.round(at * 10)})`).join('+')}'`],
      // Live WebM, as MediaRecorder writes it: no Duration element, so the last picture has no length.
      ...['-fps_mode', 'vfr', '-c:v', 'libvpx', '-b:v', '1M', '-an', '-live', '1', file],
    ]);
    return file;
  }

  async function encodeOver5s(input: string, name: string) {
    const { segments } = await encodeChunk(media, {
      input,
      probe: await probeChunk(media, input),
      outDir: join(dir, 'idle'),
      name,
      slot: { startSec: 0, durationSec: 5 },
      renditions: ['360p'],
      fps: FPS,
    });
    return segments['360p'] ?? '';
  }

  it('fills the slot with the one picture of an idle screen, not a gap', async () => {
    const segment = await encodeOver5s(await screenChunk('idle', [[0, 'white']]), 'idle');
    expect(await blackSpans(segment, 'd=0.1:pix_th=0.1')).toEqual([]);
  });

  it('shows the last change of a chunk from its time to the end of the slot', async () => {
    const segment = await encodeOver5s(
      await screenChunk('late', [
        [0, 'black'],
        [2.5, 'white'],
      ]),
      'late',
    );
    const spans = await blackSpans(segment, 'd=0.1:pix_th=0.1');
    expect(spans).toHaveLength(1);
    const [start = -1, end = -1] = spans[0] ?? [];
    // Black until the change at 2.5 s (timestamps start at the segment's offset on the timeline).
    expect(end - start).toBeCloseTo(2.5, 1);
  });
});

describe('storyboard and stitched video', () => {
  it('covers the whole session with tiles on sprite sheets', async () => {
    const storyboard = await buildStoryboard(media, {
      source: await playlist('360p'),
      durationSec: SESSION_SEC,
      outDir: join(dir, 'storyboard'),
    });
    expect(storyboard.sheets.map((s) => basename(s))).toEqual(['sheet_0.jpg']);
    const vtt = await readFile(storyboard.vtt, 'utf8');
    const cues = [...vtt.matchAll(/(\S+) --> (\S+)\n(\S+)/g)];
    expect(cues).toHaveLength(6);
    expect(cues[0]?.[1]).toBe('00:00:00.000');
    expect(cues.at(-1)?.[2]).toBe('00:00:10.500');
    expect(cues.at(-1)?.[3]).toBe('sheet_0.jpg#xywh=800,0,160,90');
    const { streams } = await ffprobeJson<{ streams: { width: number; height: number }[] }>([
      '-show_entries',
      'stream=width,height',
      storyboard.sheets[0] ?? '',
    ]);
    expect(streams[0]).toEqual({ width: 6 * 160, height: 90 });
  });

  it('stitches an MP4 of the video and audio, as long as its playlist within a frame, index first', async () => {
    const fractions: number[] = [];
    const source = await playlist('720p');
    const stitched = await stitch(media, {
      playlist: source,
      output: join(dir, 'recording.mp4'),
      onProgress: (f) => fractions.push(f),
    });
    const playlistSec = [...(await readFile(source, 'utf8')).matchAll(/^#EXTINF:([\d.]+),/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    expect(playlistSec).toBeCloseTo(SESSION_SEC, 6);
    const { format, streams } = await ffprobeJson<{
      format: { format_name: string; duration: string; tags: { major_brand: string } };
      streams: { codec_type: string; codec_name: string; duration: string }[];
    }>([
      '-show_entries',
      'format=format_name,duration:format_tags=major_brand:stream=codec_type,codec_name,duration',
      stitched.output,
    ]);
    expect(format.format_name.split(',')).toContain('mp4');
    expect(format.tags.major_brand).toBe('isom');
    expect(streams.map((s) => [s.codec_type, s.codec_name])).toEqual([
      ['video', 'h264'],
      ['audio', 'aac'],
    ]);
    for (const duration of [stitched.durationSec, Number(format.duration), Number(streams[0]?.duration)]) {
      expect(Math.abs(duration - playlistSec)).toBeLessThan(1 / FPS);
    }
    expect(fractions.at(-1)).toBeGreaterThan(0.9);
    // faststart: the index (moov) comes before the media data (mdat) among the top-level boxes.
    const boxes = await topLevelBoxes(stitched.output);
    expect(boxes).toContain('moov');
    expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    expect(await ffmpegComplaints(['-v', 'error', '-i', stitched.output, '-f', 'null', '-'])).toBe('');
  });
});

describe('failures', () => {
  it('stops ffmpeg when aborted and leaves no segment behind', async () => {
    const input = await makeChunk(dir, { name: 'abort.webm', width: 640, height: 360, durationSec: 2 });
    const probe = await probeChunk(media, input);
    const controller = new AbortController();
    const outDir = join(dir, 'aborted');
    const pending = encodeChunk(media, {
      input,
      outDir,
      name: 'x',
      slot: { startSec: 0, durationSec: 600 },
      renditions: ['360p'],
      probe,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('job cancelled')),
    });
    await expect(pending).rejects.toThrow('job cancelled');
    expect(await readdir(join(outDir, '360p'))).toEqual([]);
  });

  it('lets a run that waits for a media slot go at once when aborted', async () => {
    const busyJob = {
      global: ['-hide_banner', '-nostdin', '-v', 'error'],
      inputs: [{ options: ['-f', 'lavfi'], source: 'testsrc2=s=320x240:r=25:d=3600' }],
      outputs: [{ options: ['-f', 'null'], target: '-' }],
    };
    const oneSlot = createMediaRunner({ slots: 1, log: createJsonLogger({}, { write: () => {} }) });
    const busy = new AbortController();
    const running = oneSlot.ffmpeg(busyJob, { signal: busy.signal });
    const waiting = new AbortController();
    const queued = oneSlot.ffmpeg(busyJob, { signal: waiting.signal });
    const abortedAt = performance.now();
    waiting.abort(new Error('not needed any more'));
    await expect(queued).rejects.toThrow('not needed any more');
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    busy.abort(new Error('job cancelled'));
    await expect(running).rejects.toThrow('job cancelled');
  });

  it('keeps encoding a chunk whose picture size changes halfway', async () => {
    const input = await makeResizingChunk(dir);
    const result = await encodeChunk(media, {
      input,
      probe: await probeChunk(media, input),
      outDir: join(dir, 'resized'),
      name: 'r',
      slot: { startSec: 0, durationSec: 2 },
      renditions: ['360p'],
      fps: FPS,
    });
    const { streams } = await ffprobeJson<{
      streams: { width: number; height: number; nb_read_frames: string }[];
    }>([
      '-count_frames',
      '-select_streams',
      'v',
      '-show_entries',
      'stream=width,height,nb_read_frames',
      result.segments['360p'] ?? '',
    ]);
    expect(streams[0]).toEqual({ width: 320, height: 180, nb_read_frames: '20' });
  });

  it('rejects with the arguments and stderr when ffmpeg fails', async () => {
    const garbage = join(dir, 'garbage.webm');
    await writeFile(garbage, 'not a video');
    const lying = {
      decodable: true,
      durationSec: 1,
      width: 640,
      height: 360,
      hasAudio: false,
      videoCodec: 'vp8',
    };
    const error = await encodeChunk(media, {
      input: garbage,
      outDir: join(dir, 'failed'),
      name: 'x',
      slot: { startSec: 0, durationSec: 1 },
      renditions: ['360p'],
      probe: lying,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect((error as FfmpegError).args).toContain(garbage);
    expect((error as FfmpegError).stderrTail).toContain('Invalid data found');
    expect(await readdir(join(dir, 'failed', '360p'))).toEqual([]);
  });

  it.each([
    ['truncated', /^ffmpeg reported an error: \[matroska,webm @ 0x[0-9a-f]+\] File ended prematurely/],
    ['frameless', /^no video frame decoded$/],
  ] as const)('fails a %s chunk, which its probe passes, as a failure of the input', async (kind, reason) => {
    const input = await makeUndecodableChunk(dir, kind);
    const probe = await probeChunk(media, input);
    expect(probe.decodable).toBe(true);
    const outDir = join(dir, `verified-${kind}`);
    const error = await encodeChunk(media, {
      input,
      outDir,
      name: kind,
      slot: { startSec: 0, durationSec: 2 },
      renditions: ['360p'],
      probe,
      frames: { dir: join(outDir, 'frames'), thumbsDir: join(outDir, 'thumbs'), chunkStartMs: 0 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect(isInputFailure(error)).toBe(true);
    expect((error as FfmpegError).message).toMatch(reason);
    expect(await readdir(join(outDir, '360p'))).toEqual([]);
    expect(await readdir(join(outDir, 'frames'))).toEqual([]);
  });
});
