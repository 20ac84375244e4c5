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

/**
 * A signed URL for the session's playback object, valid for PLAYBACK_TOKEN_TTL_SECONDS; null when the
 * stored key is not one a player may read (logged: reading a session must not fail on a stored value).
 */
export async function playbackUrl(c: Context<AppEnv>, row: SessionRow): Promise<string | null> {
  const config = c.get('config');
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
  const exp = Math.floor(Date.now() / 1000) + config.PLAYBACK_TOKEN_TTL_SECONDS;
  const token = await signToken(
    'pt1',
    { t: row.tenant_uuid, s: row.uuid, sc: ['playback'], exp },
    config.TOKEN_SIGNING_KEY,
  );
  return `${config.PUBLIC_BASE_URL}${API_PREFIX}/playback/${token}/${path}`;
}
