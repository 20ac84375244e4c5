/**
 * Real MediaRecorder chunks from headless Chromium (a recorder per chunk, variable frame rate, Opus
 * audio), placed on the timeline by their recorded start times, play as one continuous recording.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChunkName } from '../../contracts/storage.ts';
import {
  type ChunkProbe,
  DEFAULT_FPS,
  encodeChunk,
  probeChunk,
  renditionsFor,
  type SegmentsResult,
  stitch,
} from '../../transcoder/media/index.ts';
import { type RecordedChunk, recordMediaRecorderChunks } from '../support/chunks.ts';
import { media } from '../support/media.ts';

const run = promisify(execFile);

let dir: string;
let chunks: RecordedChunk[];
let probes: ChunkProbe[];
const encoded: SegmentsResult[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ies-media-recorder-'));
  chunks = await recordMediaRecorderChunks(dir, {
    chunks: 3,
    chunkMs: 1500,
    width: 640,
    height: 360,
    audio: true,
  });
  probes = await Promise.all(chunks.map((c) => probeChunk(media, c.file)));
  const origin = chunks[0]?.startMs ?? 0;
  for (const [i, chunk] of chunks.entries()) {
    const probe = probes[i];
    if (!probe) throw new Error(`no probe of chunk ${i}`);
    // A slot runs to the next chunk's recorded start, so the recorder's restart gap is covered.
    const end = chunks[i + 1]?.startMs ?? chunk.startMs + chunk.durationMs;
    encoded.push(
      await encodeChunk(media, {
        input: chunk.file,
        outDir: join(dir, 'out'),
        name: `seg${i}`,
        slot: { startSec: (chunk.startMs - origin) / 1000, durationSec: (end - chunk.startMs) / 1000 },
        renditions: renditionsFor(probe.height),
        probe,
        frames: { dir: join(dir, 'frames'), thumbsDir: join(dir, 'thumbs'), chunkStartMs: chunk.startMs },
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MediaRecorder chunks', () => {
  it('are saved under the chunk naming, each self-contained and decodable', () => {
    expect(chunks).toHaveLength(3);
    for (const [i, chunk] of chunks.entries()) {
      expect(parseChunkName(basename(chunk.file))).toEqual({
        seq: i,
        startMs: chunk.startMs,
        durationMs: chunk.durationMs,
        ext: 'webm',
      });
      expect(probes[i]).toMatchObject({
        decodable: true,
        videoCodec: 'vp8',
        width: 640,
        height: 360,
        hasAudio: true,
      });
    }
  });

  it('play back to back as one continuous 360p recording with audio', async () => {
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-PLAYLIST-TYPE:VOD'];
    for (const e of encoded) {
      expect(Object.keys(e.segments)).toEqual(['360p']);
      lines.push(`#EXTINF:${e.timing.durationSec.toFixed(3)},`, basename(e.segments['360p'] ?? ''));
    }
    lines.push('#EXT-X-ENDLIST', '');
    const playlist = join(dir, 'out', '360p', 'index.m3u8');
    await writeFile(playlist, lines.join('\n'));
    const { stderr } = await run('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-v',
      'warning',
      '-i',
      playlist,
      '-f',
      'null',
      '-',
    ]);
    expect(stderr.trim()).toBe('');

    const first = chunks[0];
    const last = chunks.at(-1);
    const timelineSec = ((last?.startMs ?? 0) + (last?.durationMs ?? 0) - (first?.startMs ?? 0)) / 1000;
    const stitched = await stitch(media, { playlist, output: join(dir, 'recording.mp4') });
    expect(Math.abs(stitched.durationSec - timelineSec)).toBeLessThanOrEqual(1 / DEFAULT_FPS);
  });

  it('yield a frame per second of each chunk, named by its server time', async () => {
    const frames = (await readdir(join(dir, 'frames'))).sort();
    const expected = chunks.flatMap((c, i) =>
      Array.from(
        { length: Math.ceil((encoded[i]?.timing.durationSec ?? 0) - 1e-9) },
        (_, k) => `${c.startMs + k * 1000}.jpg`,
      ),
    );
    expect(frames).toEqual(expected.sort());
  });
});
