/** Clock sync between a candidate's browser and the server, kept per session by the SessionClock object. */
import { createRoute } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { ClockExchangeBody, ClockExchangeResponse, ClockReport, SessionLookup } from '../../contracts/api.ts';
import { sampleFrom } from '../../contracts/clock-offset.ts';
import { requireApiKey, requireCandidate } from '../auth/middleware.ts';
import { hmac, hmacMatches } from '../auth/tokens.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter, errorResponses, jsonBody, jsonResponse } from '../http/router.ts';
import { assertTenantActive, lookupOf, sessionOf } from './session-access.ts';

const clock = createRouter();

/** The browser calls only the exchange (POST); the report is for the tenant's server. */
const browserCors = cors({
  origin: '*',
  allowMethods: ['POST', 'OPTIONS'],
  allowHeaders: ['Authorization', 'Content-Type'],
  maxAge: 600,
});
clock.on(['POST', 'OPTIONS'], '/session/clock', browserCors);

/** What a receipt vouches for: this session's exchange at t0, stamped by the server at serverMs. */
const receiptText = (sessionUuid: string, t0: number, serverMs: number) =>
  `clock|${sessionUuid}|${t0}|${serverMs}`;

clock.openapi(
  createRoute({
    method: 'post',
    path: '/session/clock',
    summary: 'One clock-sync exchange (candidate token)',
    security: [{ CandidateToken: [] }],
    middleware: [requireCandidate('clock')] as const,
    request: { body: jsonBody(ClockExchangeBody) },
    responses: {
      200: jsonResponse('Server time and its receipt', ClockExchangeResponse),
      ...errorResponses(400, 401, 403, 413, 415),
    },
  }),
  async (c) => {
    const { t0, previous } = c.req.valid('json');
    const { tenantUuid, sessionUuid } = c.get('principal') as { tenantUuid: string; sessionUuid: string };
    await assertTenantActive(c, tenantUuid, sessionUuid);
    const secret = c.get('config').TOKEN_SIGNING_KEY;
    if (previous) {
      // Only a server time this server stamped (and signed) becomes a sample: the browser is the party
      // being checked, so its word alone about the server's clock is worth nothing.
      if (
        !(await hmacMatches(
          secret,
          receiptText(sessionUuid, previous.t0, previous.server_ms),
          previous.receipt,
        ))
      ) {
        throw new ApiError('BAD_REQUEST', 'previous: the receipt does not match this session’s exchange');
      }
      const stub = c.env.SESSION_CLOCK.get(c.env.SESSION_CLOCK.idFromName(sessionUuid));
      c.executionCtx.waitUntil(stub.record(sampleFrom(previous.t0, previous.server_ms, previous.t3)));
    }
    const serverMs = Date.now();
    return c.json(
      { t0, server_ms: serverMs, receipt: await hmac(secret, receiptText(sessionUuid, t0, serverMs)) },
      200,
    );
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
    responses: { 200: jsonResponse('Clock report', ClockReport), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const row = await sessionOf(c, lookupOf(c.req.valid('query')));
    const stub = c.env.SESSION_CLOCK.get(c.env.SESSION_CLOCK.idFromName(row.uuid));
    return c.json(await stub.report(), 200);
  },
);

export default clock;
