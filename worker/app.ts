/**
 * The API application: cross-cutting middleware, the route groups under `/ies/api/v2`, the OpenAPI
 * document and the one error handler.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { API_PREFIX, EventList, EventsQuery, PlayerSession } from '../contracts/api.ts';
import { ClipAccepted, ClipId, ClipRequest, ClipStatus } from '../contracts/clips.ts';
import { asDatabaseOutage, databaseClient } from './db/client.ts';
import { configFrom } from './env.ts';
import { renderDocsPage } from './http/docs-page.ts';
import { ApiError, errorResponse } from './http/errors.ts';
import { requestLog } from './http/request-log.ts';
import { type AppEnv, errorResponses, jsonBody, jsonResponse } from './http/router.ts';
import admin from './routes/admin.ts';
import clock from './routes/clock.ts';
import events from './routes/events.ts';
import health from './routes/health.ts';
import internal from './routes/internal.ts';
import playback from './routes/playback.ts';
import session from './routes/session.ts';
import { adminWebhooks, tenantWebhooks } from './routes/webhooks.ts';

/** JSON bodies of this API are small; anything larger is refused before it is parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

const app = new OpenAPIHono<AppEnv>();

// Made here, never taken from the client: a chosen id could collide with another request's in the logs.
app.use('*', async (c, next) => {
  const id = crypto.randomUUID();
  c.set('requestId', id);
  c.header('X-Request-Id', id);
  await next();
});
app.use('*', requestLog);
app.use(
  `${API_PREFIX}/*`,
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError('PAYLOAD_TOO_LARGE', `Body over ${MAX_BODY_BYTES / 1024} KiB`);
    },
  }),
);
app.use('*', async (c, next) => {
  const config = configFrom(c.env);
  c.set('config', config);
  c.set('db', databaseClient(config.DATABASE_URL));
  await next();
});

app.route(API_PREFIX, health);
app.route(API_PREFIX, session);
app.route(API_PREFIX, clock);
app.route(API_PREFIX, events);
app.route(API_PREFIX, tenantWebhooks);
app.route(`${API_PREFIX}/admin`, admin);
app.route(`${API_PREFIX}/admin`, adminWebhooks);
app.route(`${API_PREFIX}/internal`, internal);
app.route(`${API_PREFIX}/playback`, playback);

app.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
  type: 'apiKey',
  in: 'header',
  name: 'X-API-TOKEN',
});
app.openAPIRegistry.registerComponent('securitySchemes', 'CandidateToken', {
  type: 'http',
  scheme: 'bearer',
});
app.openAPIRegistry.registerComponent('securitySchemes', 'AdminToken', { type: 'http', scheme: 'bearer' });
app.openAPIRegistry.registerComponent('securitySchemes', 'InternalToken', { type: 'http', scheme: 'bearer' });

// A plain Hono route (its path spans several segments), so it is described here by hand.
app.openAPIRegistry.registerPath({
  method: 'get',
  path: `${API_PREFIX}/playback/{token}/{path}`,
  summary: 'A processed object of the session (playlist, segment, storyboard, stitched video)',
  description: '`path` is `<asset>/processed/…` and may contain slashes; the URL comes from GET /session.',
  request: {
    params: z.object({
      token: z.string().openapi({ description: 'Playback token' }),
      path: z.string().openapi({ example: 'screenshare/processed/hls_playlist/master.m3u8' }),
    }),
  },
  responses: {
    200: { description: 'The object (Range requests give 206 or 416)' },
    ...errorResponses(401, 403, 404, 503),
  },
});

const playbackToken = z.object({ token: z.string().openapi({ description: 'Playback token' }) });
app.openAPIRegistry.registerPath({
  method: 'get',
  path: `${API_PREFIX}/playback/{token}/session`,
  summary: 'The session a playback token opens: status, live or not, the playback object',
  request: { params: playbackToken },
  responses: { 200: jsonResponse('The session', PlayerSession), ...errorResponses(401, 403, 404, 410, 503) },
});
app.openAPIRegistry.registerPath({
  method: 'get',
  path: `${API_PREFIX}/playback/{token}/events`,
  summary: 'The integrity events of the token’s session, in timeline order, a page at a time',
  request: { params: playbackToken, query: EventsQuery.omit({ session_id: true }) },
  responses: { 200: jsonResponse('A page of events', EventList), ...errorResponses(400, 401, 403, 410, 503) },
});
app.openAPIRegistry.registerPath({
  method: 'post',
  path: `${API_PREFIX}/playback/{token}/clips`,
  summary: 'Ask for an evidence clip (MP4) of a range of the token’s processed recording',
  description:
    'Server times (Unix ms), at most 10 minutes, inside the recording. Cut from the HLS segments without re-encoding, so the clip starts at the segment boundary at or before `start_ms`. The same range gives the same `clip_id`.',
  request: { params: playbackToken, body: jsonBody(ClipRequest) },
  responses: {
    202: jsonResponse('Accepted; follow `status_url`', ClipAccepted),
    ...errorResponses(400, 401, 403, 404, 409, 410, 413, 503),
  },
});
app.openAPIRegistry.registerPath({
  method: 'get',
  path: `${API_PREFIX}/playback/{token}/clips/{clip_id}`,
  summary: 'An evidence clip: pending, failed, or ready with its download URL under the same token',
  request: { params: playbackToken.extend({ clip_id: ClipId }) },
  responses: {
    200: jsonResponse('The clip', ClipStatus),
    ...errorResponses(400, 401, 403, 404, 409, 410, 503),
  },
});

const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Integrity Events Service',
    version: '2.0.0',
    description: 'Proctoring session recording: sessions, browser uploads, processing and playback.',
  },
};
app.doc31(`${API_PREFIX}/openapi.json`, OPENAPI_INFO);
app.get(`${API_PREFIX}/docs`, (c) => c.html(renderDocsPage(app.getOpenAPI31Document(OPENAPI_INFO))));

app.notFound((c) => errorResponse(c, new ApiError('NOT_FOUND', 'No such route')));
app.onError((error, c) => errorResponse(c, asDatabaseOutage(error)));

export default app;
