/**
 * What a playback root (`…/playback/<token>`) opens, read through the Worker's playback proxy only: the
 * session's state, its processed recording (manifest, playlists or stitched MP4s, storyboard, frames) or,
 * while it still records, the live playlists; and its integrity events.
 */
import type { PlayerSessionBody } from '../contracts/api.ts';
import { parseStoryboard, type Tile } from './storyboard.ts';
import type { PlayerEvent } from './timeline-geometry.ts';

export type VideoAsset = 'screenshare' | 'webcam';
export type PlaybackType = 'hls_masterplaylist' | 'fullvideo';

/** A failure the reviewer should read as it is (an expired link, a session with nothing to show). */
export class PlayerError extends Error {
  readonly code: string;

  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

export interface SessionSource {
  sessionId: string;
  live: boolean;
  type: PlaybackType;
  /** The URL of each video asset there is: HLS master (or live master) or stitched MP4. */
  videos: Partial<Record<VideoAsset, string>>;
  /** Server time (Unix ms) of the timeline's start; null while live until the first segment is known. */
  startMs: number | null;
  /** Seconds; null while live (the playlists tell). */
  duration: number | null;
  gaps: { start_ms: number; end_ms: number }[];
  /** The storyboard of the main asset, when processed. */
  storyboard: { vtt: string; base: string } | null;
  /** Chunk spans of the main asset from the manifest (live: from the playlist instead). */
  chunks: { startMs: number; durationMs: number }[];
  /** Where the main asset's analysis frames are: `<framesBase><server ms>.jpg`. */
  framesBase: string;
}

interface ApiErrorBody {
  error?: { code?: string; message?: string };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { cache: 'no-store' });
  if (response.ok) return (await response.json()) as T;
  const body = (await response.json().catch(() => ({}))) as ApiErrorBody;
  const message = body.error?.message ?? `HTTP ${response.status}`;
  if (response.status === 401 && /expired/i.test(message))
    throw new PlayerError('This player link has expired. Ask for a new one.', 'expired');
  if (response.status === 401 || response.status === 403)
    throw new PlayerError('This player link is not valid.', 'unauthorized');
  throw new PlayerError(`The recording could not be loaded (${message}).`, 'unavailable');
}

interface ManifestAsset {
  status: string;
  duration_ms?: number;
  master?: string;
  /** Written after the session is ready: `pending` until then (`available` with its key or files). */
  stitched_video?: { status: string; key?: string };
  storyboard?: { status: string; vtt?: string; sheets?: string[] };
  gaps?: { start_ms: number; end_ms: number }[];
  chunks?: { start_ms: number; duration_ms: number; status: string }[];
}

interface Manifest {
  timeline: { start_ms: number; duration_ms: number };
  assets: Partial<Record<VideoAsset, ManifestAsset>>;
}

const VIDEO_ASSETS: readonly VideoAsset[] = ['screenshare', 'webcam'];
const PLACED: ReadonlySet<string> = new Set(['ok', 'cut']);

/**
 * What the player URL says the session plays once processed (`playback` and `type` parameters of
 * `player_url`), so the video can start loading before the session's state arrives. Only a hint: the
 * state read then decides, and a wrong hint costs only the requests made on it.
 */
export interface PlaybackHint {
  asset: VideoAsset;
  url: string;
  type: PlaybackType;
}

/** The hint of a root's `playback` path and `type`, or null when absent or not a path the proxy serves. */
export function playbackHint(root: string, path: string | null, type: string | null): PlaybackHint | null {
  const asset = path?.split('/')[0];
  if (
    !path ||
    (asset !== 'screenshare' && asset !== 'webcam') ||
    !/^[\w./-]+$/.test(path) ||
    path.includes('..')
  )
    return null;
  if (type !== 'hls_masterplaylist' && type !== 'fullvideo') return null;
  return { asset, url: `${root}/${path}`, type };
}

/** The session's state (`GET …/session`): whether it is processed, for a live player to switch. */
export function loadSession(root: string): Promise<PlayerSessionBody> {
  return getJson<PlayerSessionBody>(`${root}/session`);
}

/**
 * Reads what the playback root opens; throws PlayerError for what the reviewer must be told. With a
 * hint, the manifest is read beside the session's state instead of after it.
 */
export async function loadSource(root: string, hint: PlaybackHint | null = null): Promise<SessionSource> {
  const manifestUrl = (asset: VideoAsset) => `${root}/${asset}/processed/manifest.json`;
  const hinted = hint ? getJson<Manifest>(manifestUrl(hint.asset)).catch(() => null) : null;
  const session = await loadSession(root);
  // A stored key is `proctor/ies/<tenant>/<session>/<asset>/processed/…`; the proxy takes what follows.
  const relative = (key: string) =>
    `${root}/${key.slice(key.indexOf(`${session.session_id}/`) + session.session_id.length + 1)}`;
  if (session.playback) {
    const main = session.playback.path.split('/')[0] as VideoAsset;
    const manifest =
      (main === hint?.asset ? await hinted : null) ?? (await getJson<Manifest>(manifestUrl(main)));
    const videos: Partial<Record<VideoAsset, string>> = {};
    for (const asset of VIDEO_ASSETS) {
      const entry = manifest.assets[asset];
      const key = session.playback.type === 'fullvideo' ? entry?.stitched_video?.key : entry?.master;
      if (entry?.status === 'ready' && key) videos[asset] = relative(key);
    }
    const mainAsset = manifest.assets[main];
    // A storyboard still being made is left out: the previews appear when the player is opened again.
    const vtt = mainAsset?.storyboard?.vtt;
    return {
      sessionId: session.session_id,
      live: false,
      type: session.playback.type,
      videos,
      startMs: manifest.timeline.start_ms,
      duration: manifest.timeline.duration_ms / 1000,
      gaps: mainAsset?.gaps ?? [],
      storyboard: vtt ? { vtt: relative(vtt), base: relative(vtt.slice(0, vtt.lastIndexOf('/') + 1)) } : null,
      chunks: (mainAsset?.chunks ?? [])
        .filter((chunk) => PLACED.has(chunk.status))
        .map((chunk) => ({ startMs: chunk.start_ms, durationMs: chunk.duration_ms })),
      framesBase: `${root}/${main}/processed/frames/`,
    };
  }
  if (!session.live) throw new PlayerError('This session has no recording to show.', 'no_recording');
  const videos: Partial<Record<VideoAsset, string>> = {};
  for (const asset of VIDEO_ASSETS) {
    const url = `${root}/${asset}/processed/playlist_cache/live_master.m3u8`;
    const head = await fetch(url, { method: 'HEAD', cache: 'no-store' });
    if (head.ok) videos[asset] = url;
  }
  const main = videos.screenshare ? 'screenshare' : 'webcam';
  return {
    sessionId: session.session_id,
    live: true,
    type: 'hls_masterplaylist',
    videos,
    startMs: null,
    duration: null,
    gaps: [],
    storyboard: null,
    chunks: [],
    framesBase: `${root}/${main}/processed/frames/`,
  };
}

/** Every integrity event of the session, in timeline order (all pages). */
export async function loadEvents(root: string): Promise<PlayerEvent[]> {
  const events: PlayerEvent[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=500&cursor=${encodeURIComponent(cursor)}` : '?limit=500';
    const page: { events: PlayerEvent[]; next_cursor: string | null } = await getJson(
      `${root}/events${query}`,
    );
    events.push(...page.events);
    cursor = page.next_cursor;
  } while (cursor);
  return events;
}

/** The storyboard's tiles; none when it cannot be read (the previews are then left out, nothing else). */
export async function loadStoryboard(vtt: string): Promise<Tile[]> {
  try {
    return parseStoryboard(await (await fetch(vtt)).text());
  } catch {
    return [];
  }
}

/**
 * Calls `then` once, when the session a live player follows is processed, asking its state every
 * `everyMs`; a failed ask is tried again at the next turn. Returns the timer, for the caller to clear.
 */
export function whenProcessed(
  root: string,
  everyMs: number,
  then: () => void,
): ReturnType<typeof setInterval> {
  let done = false;
  const timer = setInterval(async () => {
    const session = await loadSession(root).catch(() => null);
    if (!session?.playback || done) return;
    done = true;
    clearInterval(timer);
    then();
  }, everyMs);
  return timer;
}
