/**
 * Where the transcoder writes each output of an asset, under the design's `processed/` folders
 * (`contracts/storage.ts`). Pure. Segments are named in `segments.ts`.
 */
import {
  type Asset,
  PROCESSED,
  parseChunkName,
  processedPrefix,
  type Rendition,
  rawPrefix,
} from '../../contracts/storage.ts';

/** One asset of one session. */
export interface AssetRef {
  tenant: string;
  session: string;
  asset: Asset;
}

/** The keys of one asset's inputs and outputs. */
export function assetKeys(ref: AssetRef) {
  const processed = processedPrefix(ref.tenant, ref.session, ref.asset);
  const hls = `${processed}${PROCESSED.hls}`;
  const cache = `${processed}${PROCESSED.playlistCache}`;
  return {
    raw: rawPrefix(ref.tenant, ref.session, ref.asset),
    processed,
    hls,
    /** `360p/<name>.ts`: a segment as the VOD playlists beside it refer to it. */
    segmentUri: (rendition: Rendition, name: string) => `${rendition}/${name}.ts`,
    segment: (rendition: Rendition, name: string) => `${hls}${rendition}/${name}.ts`,
    variantPlaylist: (rendition: Rendition) => `${hls}index_${rendition}.m3u8`,
    master: `${hls}master.m3u8`,
    frames: `${processed}${PROCESSED.frames}`,
    thumbnails: `${processed}${PROCESSED.thumbnails}`,
    stitched: `${processed}${PROCESSED.stitched}recording.mp4`,
    manifest: `${processed}manifest.json`,
    cache,
    /** The asset's encoding profile: timeline origin, frame rate, renditions and their sizes. */
    profile: `${cache}profile.json`,
    /** One object per processed chunk, so concurrent chunk jobs never overwrite each other's entries. */
    chunkEntries: `${cache}chunks/`,
    chunkEntry: (fileName: string) => `${cache}chunks/${fileName}.json`,
    undecodableEntries: `${cache}undecodable/`,
    undecodableEntry: (fileName: string) => `${cache}undecodable/${fileName}.json`,
    /** Live playlists sit in `playlist_cache/`, so their segments are one folder up. */
    liveSegmentUri: (rendition: Rendition, name: string) => `../${PROCESSED.hls}${rendition}/${name}.ts`,
    livePlaylist: (rendition: Rendition) => `${cache}live_${rendition}.m3u8`,
    liveMaster: `${cache}live_master.m3u8`,
  };
}
export type AssetKeys = ReturnType<typeof assetKeys>;

/** The chunk file name an index entry key stands for, or `null` for any other key. */
export function entryChunkName(entryKey: string, folder: string): string | null {
  if (!entryKey.startsWith(folder) || !entryKey.endsWith('.json')) return null;
  const name = entryKey.slice(folder.length, -'.json'.length);
  return parseChunkName(name) ? name : null;
}
