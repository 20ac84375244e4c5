/**
 * Serves a session's processed recording (playlists, segments, storyboard, stitched video) from S3 to a
 * player holding a playback token. Only objects under an asset's `processed/` folder are reachable.
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { sessionPrefix } from '../../contracts/storage.ts';
import { verifyToken } from '../auth/tokens.ts';
import { ApiError } from '../http/errors.ts';
import type { AppEnv } from '../http/router.ts';
import { playablePath } from '../playback/urls.ts';
import { fetchObject } from '../s3/objects.ts';
import { assertTenantActive } from './session-access.ts';

const playback = new Hono<AppEnv>();
playback.use(
  '*',
  cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'], exposeHeaders: ['Content-Range'] }),
);

const FORWARDED_HEADERS = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
];

playback.on(['GET', 'HEAD'], '/:token/:path{.+}', async (c) => {
  const config = c.get('config');
  const check = await verifyToken('pt1', c.req.param('token'), config.TOKEN_SIGNING_KEY, new Date());
  if (!check.ok)
    throw new ApiError(
      'UNAUTHORIZED',
      `Playback token ${check.reason === 'expired' ? 'expired' : 'invalid'}`,
    );
  const key = `${sessionPrefix(check.claims.t, check.claims.s)}${c.req.param('path')}`;
  if (playablePath(key, check.claims.t, check.claims.s) === null)
    throw new ApiError('NOT_FOUND', 'No such object');
  await assertTenantActive(c, check.claims.t, check.claims.s);
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
  // Playlists change while a session is live; segments never change once written.
  headers.set(
    'Cache-Control',
    key.endsWith('.m3u8') ? 'private, max-age=2' : 'private, max-age=86400, immutable',
  );
  return new Response(object.body, { status: object.status, headers });
});

export default playback;
