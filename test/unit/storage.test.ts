import { describe, expect, it } from 'vitest';
import {
  ASSET_CONTENT_TYPES,
  ASSETS,
  type Asset,
  assetAllows,
  assetContentType,
  CHUNK_EXTENSIONS,
  type ChunkExtension,
  formatChunkName,
  parseChunkKey,
  parseChunkName,
  rawPrefix,
  UPLOAD_CONTENT_TYPES,
} from '../../contracts/storage.ts';

const tenant = '0b6a3c1e-5f7d-4c1a-9b2e-3d4f5a6b7c8d';
const session = '9f8e7d6c-5b4a-4321-8fed-cba987654321';

describe('chunk naming', () => {
  it('formats the design example and parses it back', () => {
    const name = formatChunkName({ seq: 42, startMs: 1764158400123, durationMs: 5012, ext: 'webm' });
    expect(name).toBe('000042-1764158400123-5012.webm');
    expect(parseChunkName(name)).toEqual({ seq: 42, startMs: 1764158400123, durationMs: 5012, ext: 'webm' });
  });

  it.each([
    '42-1764158400123-5012.webm',
    '000042-1764158400123-5012.mkv',
    '000042-176415840012-5012.webm',
    '000042-1764158400123-5012.webm/x',
    '../000042-1764158400123-5012.webm',
    '000042-1764158400123-999999999.webm',
  ])('refuses %s', (name) => {
    expect(parseChunkName(name)).toBeNull();
  });

  it('refuses a seq outside six digits', () => {
    expect(() => formatChunkName({ seq: 1_000_000, startMs: 1, durationMs: 1, ext: 'webm' })).toThrow(
      RangeError,
    );
  });

  it('parses a key only under that session and asset, with the asset type matching the extension', () => {
    const key = `${rawPrefix(tenant, session, 'screenshare')}000001-1764158405135-5001.webm`;
    expect(parseChunkKey(key, tenant, session)).toMatchObject({ asset: 'screenshare', seq: 1 });
    expect(parseChunkKey(key, tenant, '11111111-1111-4111-8111-111111111111')).toBeNull();
    const image = `${rawPrefix(tenant, session, 'screenshots')}000003-1764158405135-0.jpg`;
    expect(parseChunkKey(image, tenant, session)).toMatchObject({ asset: 'screenshots', ext: 'jpg' });
    const videoAsImage = `${rawPrefix(tenant, session, 'screenshots')}000003-1764158405135-5000.webm`;
    expect(parseChunkKey(videoAsImage, tenant, session)).toBeNull();
  });

  it('takes the extension of every type the asset allows, and no other', () => {
    const key = (asset: Asset, ext: ChunkExtension) =>
      `${rawPrefix(tenant, session, asset)}000001-1764158405135-${asset === 'screenshots' ? 0 : 5001}.${ext}`;
    for (const asset of ASSETS) {
      for (const ext of CHUNK_EXTENSIONS) {
        const allowed = ASSET_CONTENT_TYPES[asset].some((type) => UPLOAD_CONTENT_TYPES[type] === ext);
        expect(parseChunkKey(key(asset, ext), tenant, session) !== null, `${asset} ${ext}`).toBe(allowed);
      }
    }
  });
});

describe('upload content types', () => {
  it('asks for the recorder’s container, else the configured video type or JPEG', () => {
    expect(assetContentType('screenshare', 'video/webm', 'video/mp4')).toBe('video/mp4');
    expect(assetContentType('screenshots', 'video/webm', 'image/webp')).toBe('image/webp');
    expect(assetContentType('webcam', 'video/mp4')).toBe('video/mp4');
    expect(assetContentType('screenshots', 'video/mp4')).toBe('image/jpeg');
  });

  it('allows video containers for recordings and still images for screenshots', () => {
    expect(assetAllows('webcam', 'video/mp4')).toBe(true);
    expect(assetAllows('webcam', 'image/jpeg')).toBe(false);
    expect(assetAllows('screenshots', 'image/webp')).toBe(true);
    expect(assetAllows('screenshots', 'video/webm')).toBe(false);
  });
});
