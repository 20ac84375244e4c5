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

/** A signed URL for the session's playback object, valid for PLAYBACK_TOKEN_TTL_SECONDS. */
export async function playbackUrl(c: Context<AppEnv>, row: SessionRow): Promise<string> {
  const config = c.get('config');
  const prefix = sessionPrefix(row.tenant_uuid, row.uuid);
  const key = row.playback_key ?? '';
  if (!key.startsWith(prefix)) throw new Error(`playback key ${key} is outside session ${row.uuid}`);
  const exp = Math.floor(Date.now() / 1000) + config.PLAYBACK_TOKEN_TTL_SECONDS;
  const token = await signToken(
    'pt1',
    { t: row.tenant_uuid, s: row.uuid, sc: ['playback'], exp },
    config.TOKEN_SIGNING_KEY,
  );
  return `${new URL(c.req.url).origin}${API_PREFIX}/playback/${token}/${key.slice(prefix.length)}`;
}
