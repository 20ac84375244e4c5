/**
 * Where the transcoder writes each output of an asset, under the design's `processed/` folders
 * (`contracts/storage.ts`). Pure. Segments are named in `segments.ts`.
 */
import {
  type Asset,
  PROCESSED,
  parseChunkKey,
  processedPrefix,
  type RawChunk,
  type Rendition,
  rawPrefix,
} from '../../contracts/storage.ts';

/**
 * One session, as the transcoder's code names it. Messages and records name its ids `tenant_uuid` and
 * `session_uuid`; `sessionOf` is where the one becomes the other.
 */
export interface SessionRef {
  tenantId: string;
  sessionId: string;
}

/** The session a job or an event names. */
export function sessionOf(message: { tenant_uuid: string; session_uuid: string }): SessionRef {
  return { tenantId: message.tenant_uuid, sessionId: message.session_uuid };
}

/** One asset of one session. */
export interface AssetRef extends SessionRef {
  asset: Asset;
}

/** The keys of one asset's inputs and outputs. */
export function assetKeys(ref: AssetRef) {
  const processed = processedPrefix(ref.tenantId, ref.sessionId, ref.asset);
  const hls = `${processed}${PROCESSED.hls}`;
  const cache = `${processed}${PROCESSED.playlistCache}`;
  const raw = rawPrefix(ref.tenantId, ref.sessionId, ref.asset);
  const chunkEntries = `${cache}chunks/`;
  const undecodableEntries = `${cache}undecodable/`;
  /** The chunk an index entry under `folder` stands for, or `null` for any other key. */
  const entryChunk = (entryKey: string, folder: string): RawChunk | null => {
    if (!entryKey.startsWith(folder) || !entryKey.endsWith('.json')) return null;
    const fileName = entryKey.slice(folder.length, -'.json'.length);
    return parseChunkKey(`${raw}${fileName}`, ref.tenantId, ref.sessionId);
  };
  return {
    raw,
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
    chunkEntries,
    chunkEntry: (fileName: string) => `${chunkEntries}${fileName}.json`,
    undecodableEntries,
    undecodableEntry: (fileName: string) => `${undecodableEntries}${fileName}.json`,
    /** The chunk a key in `playlist_cache/` is the index entry of, and whether it decodes; else `null`. */
    indexedChunk(entryKey: string): { chunk: RawChunk; decodable: boolean } | null {
      const decodable = entryChunk(entryKey, chunkEntries);
      const undecodable = decodable ? null : entryChunk(entryKey, undecodableEntries);
      const chunk = decodable ?? undecodable;
      return chunk && { chunk, decodable: decodable !== null };
    },
    /** Live playlists sit in `playlist_cache/`, so their segments are one folder up. */
    liveSegmentUri: (rendition: Rendition, name: string) => `../${PROCESSED.hls}${rendition}/${name}.ts`,
    livePlaylist: (rendition: Rendition) => `${cache}live_${rendition}.m3u8`,
    liveMaster: `${cache}live_master.m3u8`,
  };
}
export type AssetKeys = ReturnType<typeof assetKeys>;
