import { describe, expect, it } from 'vitest';
import { RENDITIONS } from '../../contracts/storage.ts';
import {
  AUDIO,
  fitHeight,
  fitWidth,
  RENDITION_LADDER,
  renditionSize,
  renditionsFor,
} from '../../transcoder/media/renditions.ts';

describe('renditionsFor', () => {
  it.each([
    [2160, ['360p', '480p', '720p']],
    [1080, ['360p', '480p', '720p']],
    [720, ['360p', '480p', '720p']],
    [719, ['360p', '480p']],
    [480, ['360p', '480p']],
    [479, ['360p']],
    [360, ['360p']],
    [180, ['360p']],
  ])('a %i-line source gets %j', (height, expected) => {
    expect(renditionsFor(height)).toEqual(expected);
  });
});

describe('renditionSize', () => {
  it.each([
    ['720p', { width: 1920, height: 1080 }, { width: 1280, height: 720 }],
    ['480p', { width: 1920, height: 1080 }, { width: 854, height: 480 }],
    ['360p', { width: 1920, height: 1080 }, { width: 640, height: 360 }],
    ['720p', { width: 1366, height: 768 }, { width: 1280, height: 720 }],
    ['720p', { width: 1440, height: 900 }, { width: 1152, height: 720 }],
    ['720p', { width: 3440, height: 1440 }, { width: 1720, height: 720 }],
    ['720p', { width: 1080, height: 1920 }, { width: 406, height: 720 }],
    ['360p', { width: 320, height: 180 }, { width: 320, height: 180 }],
    ['360p', { width: 301, height: 171 }, { width: 302, height: 172 }],
  ] as const)('%s of %j is %j, never upscaled, even', (rendition, source, expected) => {
    expect(renditionSize(rendition, source)).toEqual(expected);
  });

  it('refuses a source without a size', () => {
    expect(() => renditionSize('360p', { width: 0, height: 0 })).toThrow(RangeError);
    expect(() => fitWidth(160, { width: Number.NaN, height: 90 })).toThrow(RangeError);
  });
});

describe('fitWidth and fitHeight', () => {
  it('scale down keeping the aspect ratio and never up', () => {
    expect(fitWidth(1280, { width: 1920, height: 1080 })).toEqual({ width: 1280, height: 720 });
    expect(fitWidth(1280, { width: 800, height: 600 })).toEqual({ width: 800, height: 600 });
    expect(fitWidth(160, { width: 1280, height: 800 })).toEqual({ width: 160, height: 100 });
    expect(fitHeight(480, { width: 640, height: 360 })).toEqual({ width: 640, height: 360 });
  });
});

describe('RENDITION_LADDER', () => {
  it('declares the codecs it encodes: High profile at the level written with -level:v, AAC-LC', () => {
    expect(RENDITION_LADDER['360p'].codecs).toBe('avc1.64001e,mp4a.40.2');
    expect(RENDITION_LADDER['480p'].codecs).toBe('avc1.64001f,mp4a.40.2');
    expect(RENDITION_LADDER['720p'].codecs).toBe('avc1.640028,mp4a.40.2');
  });

  it('rises with height, and declares a bandwidth above the video cap plus audio', () => {
    const rungs = RENDITIONS.map((r) => RENDITION_LADDER[r]);
    for (const [i, rung] of rungs.entries()) {
      expect(rung.height).toBe(Number.parseInt(RENDITIONS[i] ?? '', 10));
      expect(rung.bandwidth).toBeGreaterThan((rung.maxrateKbps + AUDIO.bitrateKbps) * 1000);
      if (i > 0) expect(rung.bandwidth).toBeGreaterThan(rungs[i - 1]?.bandwidth ?? 0);
    }
  });
});
