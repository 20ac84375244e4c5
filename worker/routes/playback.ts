/**
 * Serves a session's processed recording (playlists, segments, storyboard, frames, stitched video) from S3
 * to a player holding a playback token, with what the player needs around it: the session's state and its
 * integrity events. Only objects under an asset's `processed/` folder are reachable.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { EventsQuery, type PlayerSessionBody } from '../../contracts/api.ts';
import { sessionPrefix } from '../../contracts/storage.ts';
import { findSession } from '../db/sessions.ts';
import { ApiError } from '../http/errors.ts';
import type { AppEnv } from '../http/router.ts';
import { playbackClaims } from '../playback/claims.ts';
import { playablePath } from '../playback/urls.ts';
import { fetchObject } from '../s3/objects.ts';
import clips from './clips.ts';
import { eventPage } from './events.ts';
import { parsed } from './session-access.ts';

const playback = new Hono<AppEnv>();
playback.use(
  '*',
  cors({
    origin: '*',
    allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowHeaders: ['Content-Type'],
    exposeHeaders: ['Content-Range'],
  }),
);

const FORWARDED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
];

/** Statuses in which the recording is not processed yet, so only the live playlists can show it. */
const LIVE_STATUSES: ReadonlySet<string> = new Set(['created', 'recording', 'processing']);

playback.get('/:token/session', async (c) => {
  const claims = await playbackClaims(c);
  const row = await findSession(c.get('db'), claims.t, { session_id: claims.s });
  if (!row) throw new ApiError('NOT_FOUND', 'No such session');
  const path =
    row.status === 'ready' ? playablePath(row.playback_key ?? '', row.tenant_uuid, row.uuid) : null;
  const body: PlayerSessionBody = {
    session_id: row.uuid,
    status: row.status,
    live: LIVE_STATUSES.has(row.status),
    playback: path !== null && row.playback_type ? { type: row.playback_type, path } : null,
    expires_at: new Date(claims.exp * 1000).toISOString(),
  };
  return c.json(body);
});

/** The token's own session only: the session id comes from the token, never from the request. */
playback.get('/:token/events', async (c) => {
  const claims = await playbackClaims(c);
  const query = parsed(EventsQuery.omit({ session_id: true }), c.req.query());
  return c.json(await eventPage(c.get('db'), claims.t, claims.s, query));
});

// Before the objects' catch-all, which would take `GET …/clips/<id>` for an object's path.
playback.route('/', clips);

playback.on(['GET', 'HEAD'], '/:token/:path{.+}', async (c) => {
  const config = c.get('config');
  const claims = await playbackClaims(c);
  const key = `${sessionPrefix(claims.t, claims.s)}${c.req.param('path')}`;
  if (playablePath(key, claims.t, claims.s) === null) throw new ApiError('NOT_FOUND', 'No such object');
  const range = c.req.header('Range');
  const object = await fetchObject(config, key, {
    method: c.req.method,
    headers: range ? { Range: range } : {},
  });
  if (object.status === 404 || object.status === 403) throw new ApiError('NOT_FOUND', 'No such object');
  if (object.status === 416) {
    return new Response(null, {
      status: 416,
      headers: { 'Content-Range': object.headers.get('content-range') ?? '' },
    });
  }
  if (!object.ok) throw new ApiError('BAD_REQUEST', `Storage refused the request (${object.status})`);
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = object.headers.get(name);
    if (value) headers.set(name, value);
  }
  // An evidence clip is a file to attach to a case: saved, not played in the tab.
  const clip = /\/processed\/clips\/([0-9a-f]{32})\.mp4$/.exec(key)?.[1];
  if (clip) headers.set('Content-Disposition', `attachment; filename="evidence-clip-${clip}.mp4"`);
  // Playlists change while a session is live; segments never change once written.
  headers.set(
    'Cache-Control',
    key.endsWith('.m3u8') ? 'private, max-age=2' : 'private, max-age=86400, immutable',
  );
  return new Response(object.body, { status: object.status, headers });
});

export default playback;
