/**
 * Serves a session's processed recording (playlists, segments, storyboard, stitched video) from S3 to a
 * player holding a playback token. Only objects under an asset's `processed/` folder are reachable.
 */
import { AwsClient } from 'aws4fetch';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { sessionPrefix } from '../../contracts/storage.ts';
import { verifyToken } from '../auth/tokens.ts';
import { s3Endpoint } from '../env.ts';
import { ApiError } from '../http/errors.ts';
import type { AppEnv } from '../http/router.ts';

const playback = new Hono<AppEnv>();
playback.use(
  '*',
  cors({ origin: '*', allowMethods: ['GET', 'HEAD', 'OPTIONS'], exposeHeaders: ['Content-Range'] }),
);

const PROCESSED_PATH = /^(screenshare|webcam|screenshots)\/processed\/[A-Za-z0-9_./-]+$/;
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
  const path = c.req.param('path');
  if (!PROCESSED_PATH.test(path) || path.split('/').includes('..'))
    throw new ApiError('NOT_FOUND', 'No such object');
  const s3 = new AwsClient({
    accessKeyId: config.AWS_ACCESS_KEY_ID,
    secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
    sessionToken: config.AWS_SESSION_TOKEN,
    region: config.AWS_REGION,
    service: 's3',
  });
  const key = `${sessionPrefix(check.claims.t, check.claims.s)}${path}`;
  const range = c.req.header('Range');
  const object = await s3.fetch(`${s3Endpoint(config)}/${key.split('/').map(encodeURIComponent).join('/')}`, {
    method: c.req.method,
    headers: range ? { Range: range } : {},
  });
  if (object.status === 404 || object.status === 403) throw new ApiError('NOT_FOUND', 'No such object');
  if (!object.ok && object.status !== 206) throw new ApiError('SERVICE_UNAVAILABLE', 'Storage unavailable');
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = object.headers.get(name);
    if (value) headers.set(name, value);
  }
  // Playlists change while a session is live; segments never change once written.
  headers.set(
    'Cache-Control',
    path.endsWith('.m3u8') ? 'private, max-age=2' : 'private, max-age=86400, immutable',
  );
  return new Response(object.body, { status: object.status, headers });
});

export default playback;
