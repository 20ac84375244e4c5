/** Clock sync between a candidate's browser and the server, kept per session by the SessionClock object. */
import { createRoute } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { ClockExchangeBody, ClockExchangeResponse, ClockReport, SessionLookup } from '../../contracts/api.ts';
import { requireApiKey, requireCandidate } from '../auth/middleware.ts';
import { sampleFrom } from '../clock/offset.ts';
import { findSession } from '../db/sessions.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter, errorResponses, jsonBody, jsonResponse } from '../http/router.ts';

const clock = createRouter();
clock.use(
  '/session/clock',
  cors({
    origin: '*',
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  }),
);

clock.openapi(
  createRoute({
    method: 'post',
    path: '/session/clock',
    summary: 'One clock-sync exchange (candidate token)',
    security: [{ CandidateToken: [] }],
    middleware: [requireCandidate('clock')] as const,
    request: { body: jsonBody(ClockExchangeBody) },
    responses: {
      200: jsonResponse('Server time', ClockExchangeResponse),
      ...errorResponses(400, 401, 403, 413, 415),
    },
  }),
  async (c) => {
    const { t0, previous } = c.req.valid('json');
    const principal = c.get('principal');
    if (principal.kind !== 'candidate') throw new ApiError('FORBIDDEN', 'Clock sync is for candidate tokens');
    const serverMs = Date.now();
    if (previous) {
      const stub = c.env.SESSION_CLOCK.get(c.env.SESSION_CLOCK.idFromName(principal.sessionUuid));
      c.executionCtx.waitUntil(stub.record(sampleFrom(previous.t0, previous.server_ms, previous.t3)));
    }
    return c.json({ t0, server_ms: serverMs }, 200);
  },
);

clock.openapi(
  createRoute({
    method: 'get',
    path: '/session/clock',
    summary: 'The candidate clock offset and any clock jumps of a session',
    security: [{ ApiKey: [] }],
    middleware: [requireApiKey('session:read')] as const,
    request: { query: SessionLookup },
    responses: {
      200: jsonResponse('Clock report', ClockReport),
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const query = c.req.valid('query');
    const lookup = query.session_id
      ? { session_id: query.session_id }
      : { unique_identifier: query.unique_identifier ?? '' };
    const row = await findSession(c.get('db'), c.get('principal').tenantUuid, lookup);
    if (!row) throw new ApiError('NOT_FOUND', 'No such session');
    const stub = c.env.SESSION_CLOCK.get(c.env.SESSION_CLOCK.idFromName(row.uuid));
    return c.json(await stub.report(), 200);
  },
);

export default clock;
