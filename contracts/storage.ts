/**
 * The S3 storage layout from the product design (`proctor/ies/<tenant>/<session>/<asset>/…`) and the
 * chunk object naming that lets a listing of `raw/` alone rebuild a session's timeline.
 * Pure functions: the Worker, the transcoder, the recorder SDK and the tests all build keys here.
 */
import { z } from 'zod';

export const ASSETS = ['screenshare', 'webcam', 'screenshots'] as const;
// Marked pure so the browser SDK's bundler drops it: the SDK uses only the naming functions, and zod
// would be most of its size.
export const Asset = /* @__PURE__ */ z.enum(ASSETS);
export type Asset = z.infer<typeof Asset>;

/** Assets recorded as video chunks; `screenshots` are still images kept for the old recorder's continuity. */
export const VIDEO_ASSETS = ['screenshare', 'webcam'] as const satisfies readonly Asset[];
export type VideoAsset = (typeof VIDEO_ASSETS)[number];

export const RENDITIONS = ['360p', '480p', '720p'] as const;
export type Rendition = (typeof RENDITIONS)[number];

export const REPORT_KINDS = ['screenshot_analysis', 'webcam_analysis', 'audio_analysis'] as const;

export const CHUNK_EXTENSIONS = ['webm', 'mp4', 'jpg', 'webp'] as const;
export type ChunkExtension = (typeof CHUNK_EXTENSIONS)[number];

/** The containers a recorder may upload, each with the extension its chunk names carry. */
export const UPLOAD_CONTENT_TYPES = {
  'video/webm': 'webm',
  'video/mp4': 'mp4',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
} as const satisfies Record<string, ChunkExtension>;
export type UploadContentType = keyof typeof UPLOAD_CONTENT_TYPES;

/** Which upload types each asset allows: video containers for recordings, still images for screenshots. */
export const ASSET_CONTENT_TYPES: Record<Asset, readonly UploadContentType[]> = {
  screenshare: ['video/webm', 'video/mp4'],
  webcam: ['video/webm', 'video/mp4'],
  screenshots: ['image/jpeg', 'image/webp'],
};

/** True when `asset` may be uploaded as `contentType`. */
export function assetAllows(asset: Asset, contentType: UploadContentType): boolean {
  return ASSET_CONTENT_TYPES[asset].includes(contentType);
}

/** True when a chunk named with `ext` is of a type `asset` allows. */
export function assetAllowsExtension(asset: Asset, ext: ChunkExtension): boolean {
  return ASSET_CONTENT_TYPES[asset].some((type) => UPLOAD_CONTENT_TYPES[type] === ext);
}

const ROOT = 'proctor/ies';

/** `proctor/ies/<tenant_uuid>/<session_uuid>/` */
export function sessionPrefix(tenantUuid: string, sessionUuid: string): string {
  return `${ROOT}/${tenantUuid}/${sessionUuid}/`;
}

/** `proctor/ies/<tenant_uuid>/<session_uuid>/<asset>/raw/`: where the browser uploads chunks. */
export function rawPrefix(tenantUuid: string, sessionUuid: string, asset: Asset): string {
  return `${sessionPrefix(tenantUuid, sessionUuid)}${asset}/raw/`;
}

/** `proctor/ies/<tenant_uuid>/<session_uuid>/<asset>/processed/` */
export function processedPrefix(tenantUuid: string, sessionUuid: string, asset: Asset): string {
  return `${sessionPrefix(tenantUuid, sessionUuid)}${asset}/processed/`;
}

/** Folders under `processed/`, named as in the product design. */
export const PROCESSED = {
  hls: 'hls_playlist/',
  frames: 'frames/',
  thumbnails: 'frame_thumbnails/',
  stitched: 'stitched_video/',
  playlistCache: 'playlist_cache/',
  /** Evidence clips a reviewer asked for: `<clip_id>.mp4`, and `<clip_id>.json` while pending or failed. */
  clips: 'clips/',
} as const;

/** `…/reports/<kind>/` */
export function reportsPrefix(
  tenantUuid: string,
  sessionUuid: string,
  kind: (typeof REPORT_KINDS)[number],
): string {
  return `${sessionPrefix(tenantUuid, sessionUuid)}reports/${kind}/`;
}

/** What a chunk's object name says about its place on the session timeline. */
export interface ChunkName {
  /** Order of the chunk within its asset, from 0. */
  seq: number;
  /** Server-time start of the chunk in Unix milliseconds. */
  startMs: number;
  /** Wall-clock length (stop − start) in milliseconds; 0 for a still image. */
  durationMs: number;
  ext: ChunkExtension;
}

const SEQ_DIGITS = 6;
const MAX_SEQ = 10 ** SEQ_DIGITS - 1;
/** A chunk longer than this is not one a recorder restarted every few seconds could produce. */
export const MAX_CHUNK_DURATION_MS = 60 * 1000;

/**
 * Where a session's chunks may lie on the clock: from shortly before the session was created (clock-offset
 * error) to the longest an attempt can run after it (3 hours, with room for a late last upload). A chunk
 * named outside this is not part of the recording: placing it would stretch the timeline, and the black
 * filling its gap, without bound.
 */
export const SESSION_WINDOW = { beforeMs: 5 * 60 * 1000, afterMs: 4 * 3600 * 1000 } as const;

/** True when the chunk lies wholly inside the window of a session created at `sessionStartedMs`. */
export function chunkInSessionWindow(
  chunk: Pick<ChunkName, 'startMs' | 'durationMs'>,
  sessionStartedMs: number,
): boolean {
  return (
    chunk.startMs >= sessionStartedMs - SESSION_WINDOW.beforeMs &&
    chunk.startMs + chunk.durationMs <= sessionStartedMs + SESSION_WINDOW.afterMs
  );
}
const CHUNK_NAME = /^(\d{6})-(\d{13})-(\d{1,9})\.(webm|mp4|jpg|webp)$/;

/** `<seq>-<start_ms>-<duration_ms>.<ext>`, `seq` zero-padded to six digits. */
export function formatChunkName(chunk: ChunkName): string {
  if (!Number.isInteger(chunk.seq) || chunk.seq < 0 || chunk.seq > MAX_SEQ) {
    throw new RangeError(`chunk seq must be an integer from 0 to ${MAX_SEQ}, got ${chunk.seq}`);
  }
  return `${String(chunk.seq).padStart(SEQ_DIGITS, '0')}-${chunk.startMs}-${chunk.durationMs}.${chunk.ext}`;
}

/** Parses a chunk object name (the part after `raw/`); `null` when it does not follow the naming. */
export function parseChunkName(name: string): ChunkName | null {
  const match = CHUNK_NAME.exec(name);
  if (!match) return null;
  const [, seq, start, duration, ext] = match;
  const durationMs = Number(duration);
  if (durationMs > MAX_CHUNK_DURATION_MS) return null;
  return { seq: Number(seq), startMs: Number(start), durationMs, ext: ext as ChunkExtension };
}

/** A chunk object in a session's `raw/`, as its key describes it. */
export interface RawChunk extends ChunkName {
  asset: Asset;
  /** The full object key, unique per upload. */
  key: string;
  /** The object name after `raw/`, e.g. `000042-1764158400123-5012.webm`. */
  fileName: string;
}

/** A full chunk key split into its parts; `null` when the key is not a chunk of that session. */
export function parseChunkKey(key: string, tenantUuid: string, sessionUuid: string): RawChunk | null {
  for (const asset of ASSETS) {
    const prefix = rawPrefix(tenantUuid, sessionUuid, asset);
    if (!key.startsWith(prefix)) continue;
    const fileName = key.slice(prefix.length);
    const chunk = parseChunkName(fileName);
    if (!chunk) return null;
    if (!assetAllowsExtension(asset, chunk.ext)) return null;
    return { asset, key, fileName, ...chunk };
  }
  return null;
}

/**
 * The upload Content-Type an asset's policy fixes: the one the recorder asked for, else the configured
 * video type for recordings and JPEG for screenshots.
 */
export function assetContentType(
  asset: Asset,
  videoType: UploadContentType,
  requested?: UploadContentType,
): UploadContentType {
  if (requested) return requested;
  return asset === 'screenshots' ? 'image/jpeg' : videoType;
}
