import { describe, expect, it } from 'vitest';
import { scaleCascade } from '../../transcoder/media/filters.ts';

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
