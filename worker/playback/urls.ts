/**
 * Playback URLs carry a signed playback token in their path, so a player can fetch the master playlist and
 * resolve every relative playlist and segment URI under it with no credentials of its own.
 */
import type { Context } from 'hono';
import { API_PREFIX } from '../../contracts/api.ts';
import { sessionPrefix } from '../../contracts/storage.ts';
import { signToken } from '../auth/tokens.ts';
import type { SessionRow } from '../db/sessions.ts';
import type { AppEnv } from '../http/router.ts';

/** What a playback token may read: objects under an asset's `processed/` folder, nothing else. */
const PLAYABLE_PATH = /^(screenshare|webcam|screenshots)\/processed\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** The key's path inside its session when a player may read it, else null (`..` segments included). */
export function playablePath(key: string, tenantUuid: string, sessionUuid: string): string | null {
  const prefix = sessionPrefix(tenantUuid, sessionUuid);
  if (!key.startsWith(prefix)) return null;
  const path = key.slice(prefix.length);
  return PLAYABLE_PATH.test(path) && !path.split('/').some((part) => part === '..' || part === '.')
    ? path
    : null;
}

/** The base of every URL a playback token opens: `…/playback/<token>`, valid for PLAYBACK_TOKEN_TTL_SECONDS. */
async function playbackRoot(c: Context<AppEnv>, row: Pick<SessionRow, 'tenant_uuid' | 'uuid'>) {
  const config = c.get('config');
  const exp = Math.floor(Date.now() / 1000) + config.PLAYBACK_TOKEN_TTL_SECONDS;
  const token = await signToken(
    'pt1',
    { t: row.tenant_uuid, s: row.uuid, sc: ['playback'], exp },
    config.TOKEN_SIGNING_KEY,
  );
  return `${config.PUBLIC_BASE_URL}${API_PREFIX}/playback/${token}`;
}

/**
 * A signed URL for the session's playback object; null when the stored key is not one a player may read
 * (logged: reading a session must not fail on a stored value).
 */
export async function playbackUrl(c: Context<AppEnv>, row: SessionRow): Promise<string | null> {
  const path = playablePath(row.playback_key ?? '', row.tenant_uuid, row.uuid);
  if (path === null) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'stored playback key is not playable',
        requestId: c.get('requestId'),
        sessionId: row.uuid,
      }),
    );
    return null;
  }
  return `${await playbackRoot(c, row)}/${path}`;
}

/** Statuses with something to watch: live while recording and processing, then the processed recording. */
const PLAYER_STATUSES: ReadonlySet<string> = new Set(['recording', 'processing', 'ready']);

/**
 * Where the reviewer's player page is served (Workers Static Assets, built from `player/`): its folder,
 * since `/ies/player/index.html` answers a redirect there (`html_handling` `auto-trailing-slash`, the
 * default: https://developers.cloudflare.com/workers/static-assets/routing/advanced/html-handling), a
 * round trip before the first frame.
 */
export const PLAYER_PAGE = '/ies/player/';

/**
 * The reviewer's player page for the session, signed and expiring like the playback URL: its `src`
 * parameter is the playback root the page (or an `<ies-player>` element) reads everything through, and
 * once the session is processed `playback` and `type` name its playback object. Null
 * before anything was recorded and once nothing can be shown (failed, deleted).
 */
export async function playerUrl(c: Context<AppEnv>, row: SessionRow): Promise<string | null> {
  if (!PLAYER_STATUSES.has(row.status)) return null;
  const src = await playbackRoot(c, row);
  const page = `${c.get('config').PUBLIC_BASE_URL}${PLAYER_PAGE}?src=${encodeURIComponent(src)}`;
  // Once processed, the page also says what it plays, so the player starts loading the video beside
  // reading the session's state instead of after it (first frame: bench/RESULTS.md, player).
  const path =
    row.status === 'ready' ? playablePath(row.playback_key ?? '', row.tenant_uuid, row.uuid) : null;
  return path && row.playback_type
    ? `${page}&playback=${encodeURIComponent(path)}&type=${row.playback_type}`
    : page;
}
