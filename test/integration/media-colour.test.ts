/**
 * Colour range with the real ffmpeg: whatever range a chunk is recorded in (full range from a browser,
 * limited from elsewhere), every segment of every rendition — the chunk's, a cut of it, a black
 * placeholder — is limited-range BT.709 4:2:0 and says so, so a rendition never switches range between
 * segments.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rendition } from '../../contracts/storage.ts';
import {
  encodeChunk,
  encodePlaceholder,
  probeChunk,
  renditionsFor,
  type SegmentsResult,
} from '../../transcoder/media/index.ts';
import { recordMediaRecorderChunks } from '../support/chunks.ts';
import {
  BLACK_HALF,
  LIMITED_BT709,
  makeBlackWhiteChunk,
  meanLuma,
  videoColour,
  WHITE_HALF,
} from '../support/colour.ts';
import { h264Fields, media } from '../support/media.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ies-media-colour-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A chunk's segments over [0, 2 s), a cut of it over [2 s, 3 s) and a placeholder over [3 s, 4 s). */
interface Session {
  renditions: Rendition[];
  items: Record<'chunk' | 'cut' | 'placeholder', SegmentsResult>;
}

async function encodeSession(input: string, name: string): Promise<Session> {
  const probe = await probeChunk(media, input);
  expect(probe.decodable).toBe(true);
  const renditions = renditionsFor(probe.height);
  const outDir = join(dir, name);
  const encode = (segment: string, startSec: number, durationSec: number) =>
    encodeChunk(media, { input, outDir, name: segment, slot: { startSec, durationSec }, renditions, probe });
  const chunk = await encode('chunk', 0, 2);
  // As finalize re-encodes a chunk that the next one overlaps: the same chunk over a shorter slot.
  const cut = await encode('cut', 2, 1);
  const placeholder = await encodePlaceholder(media, {
    outDir,
    name: 'placeholder',
    slot: { startSec: 3, durationSec: 1 },
    renditions,
    resolutions: chunk.resolutions,
  });
  return { renditions, items: { chunk, cut, placeholder } };
}

function segmentsOf(session: Session): string[] {
  return Object.values(session.items).flatMap((item) =>
    session.renditions.map((rendition) => item.segments[rendition] ?? ''),
  );
}

/** Checks every segment of `session` declares limited-range BT.709 4:2:0, in ffprobe's view and in the VUI. */
async function expectLimitedBt709(session: Session): Promise<void> {
  for (const segment of segmentsOf(session)) {
    // MPEG-TS has no colour fields of its own: ffprobe reads these from the H.264 headers.
    expect({ segment, ...(await videoColour(segment)) }).toEqual({ segment, ...LIMITED_BT709 });
    // ITU-T H.264 Annex E: limited range; 1 is BT.709 for primaries, transfer and matrix alike.
    const field = await h264Fields(segment);
    const vui = [
      'video_full_range_flag',
      'colour_primaries',
      'transfer_characteristics',
      'matrix_coefficients',
    ];
    expect({ segment, vui: vui.map(field) }).toEqual({ segment, vui: [0, 1, 1, 1] });
  }
}

/** Checks the placeholder of every rendition is black at the level of the range it declares, limited: 16. */
async function expectBlackPlaceholder(session: Session): Promise<void> {
  for (const rendition of session.renditions) {
    const placeholder = session.items.placeholder.segments[rendition] ?? '';
    expect((await videoColour(placeholder)).color_range).toBe('tv');
    expect(await meanLuma(placeholder)).toBeCloseTo(16, 0);
  }
}

describe.each([
  ['full-range VP8 in WebM', 'webm', 'pc'],
  ['full-range H.264 in MP4', 'mp4', 'pc'],
  ['limited-range VP8 in WebM', 'webm', 'tv'],
] as const)('a black and white chunk in %s', (name, container, range) => {
  let session: Session;

  beforeAll(async () => {
    session = await encodeSession(await makeBlackWhiteChunk(dir, { container, range }), name);
  });

  it('gets three renditions of limited-range BT.709 4:2:0 segments, cut and placeholder alike', async () => {
    expect(session.renditions).toEqual(['360p', '480p', '720p']);
    await expectLimitedBt709(session);
  });

  it('shows black at 16 and white at 235 in every rendition, and in its cut', async () => {
    for (const item of [session.items.chunk, session.items.cut]) {
      for (const rendition of session.renditions) {
        const segment = item.segments[rendition] ?? '';
        expect(Math.abs((await meanLuma(segment, BLACK_HALF)) - 16)).toBeLessThanOrEqual(1);
        expect(Math.abs((await meanLuma(segment, WHITE_HALF)) - 235)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('has placeholders at the black level of the limited range they declare', async () => {
    await expectBlackPlaceholder(session);
  });
});

describe('a chunk recorded by Chromium’s MediaRecorder (VP8, declared full range and BT.709)', () => {
  let input: string;
  let session: Session;

  beforeAll(async () => {
    const [first] = await recordMediaRecorderChunks(dir, {
      chunks: 1,
      chunkMs: 2500,
      width: 1280,
      height: 720,
    });
    input = first?.file ?? '';
    session = await encodeSession(input, 'recorded');
  });

  it('is declared full range, as the browser records it', async () => {
    expect(await videoColour(input)).toMatchObject({
      pix_fmt: 'yuv420p',
      color_range: 'pc',
      color_space: 'bt709',
    });
  });

  it('gets limited-range BT.709 4:2:0 segments, cut and placeholder alike', async () => {
    await expectLimitedBt709(session);
    await expectBlackPlaceholder(session);
  });

  it('maps its light background from full range (244) to limited range (16 + 244 × 219 / 255 ≈ 226)', async () => {
    // The lower right quarter of the canvas holds no text.
    const background = 'iw/4:ih/4:iw*5/8:ih*5/8';
    expect(Math.abs((await meanLuma(input, background)) - 244)).toBeLessThanOrEqual(1);
    for (const rendition of session.renditions) {
      const segment = session.items.chunk.segments[rendition] ?? '';
      expect(Math.abs((await meanLuma(segment, background)) - 226)).toBeLessThanOrEqual(2);
    }
  });
});
