/** The recorder SDK's pure choices: which container it records, how it backs off, how it reads a token. */
import { describe, expect, it } from 'vitest';
import { sessionOfToken } from '../../recorder/api.ts';
import { backoffMs } from '../../recorder/backoff.ts';
import { containerOf, pickVideoType } from '../../recorder/capture.ts';

describe('recorder container', () => {
  it('takes H.264 in MP4 first, then H.264 in WebM, VP9, VP8', () => {
    const supports = (types: string[]) => (type: string) => types.includes(type);
    expect(pickVideoType(supports(['video/webm;codecs=vp8', 'video/mp4;codecs=avc1']))).toBe(
      'video/mp4;codecs=avc1',
    );
    expect(pickVideoType(supports(['video/webm;codecs=vp8', 'video/webm;codecs=h264']))).toBe(
      'video/webm;codecs=h264',
    );
    expect(pickVideoType(supports(['video/webm;codecs=vp8', 'video/webm;codecs=vp9']))).toBe(
      'video/webm;codecs=vp9',
    );
    expect(pickVideoType(supports(['video/webm;codecs=vp8']))).toBe('video/webm;codecs=vp8');
    expect(pickVideoType(supports([]))).toBeUndefined();
  });

  it('names a chunk by the container actually recorded (Chromium adds the audio codec it chose)', () => {
    expect(containerOf('video/mp4;codecs=avc1,opus')).toEqual({ contentType: 'video/mp4', ext: 'mp4' });
    expect(containerOf('video/webm;codecs=vp9,opus')).toEqual({ contentType: 'video/webm', ext: 'webm' });
  });
});

describe('upload backoff', () => {
  it('waits up to 1 s, 2 s, 4 s… capped at 30 s, scaled by the jitter', () => {
    expect([1, 2, 3, 6, 20].map((attempt) => backoffMs(attempt, () => 1))).toEqual([
      1000, 2000, 4000, 30_000, 30_000,
    ]);
    expect(backoffMs(4, () => 0.5)).toBe(4000);
    expect(backoffMs(4, () => 0)).toBe(0);
  });
});

describe('candidate token', () => {
  it('names its session in the claims', () => {
    const claims = Buffer.from(JSON.stringify({ t: 'a', s: 'session-1', sc: [], exp: 1 })).toString(
      'base64url',
    );
    expect(sessionOfToken(`ct1.${claims}.signature`)).toBe('session-1');
  });
});
