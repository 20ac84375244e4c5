/**
 * Clock sync between a candidate's browser and the server, kept per session by the SessionClock object:
 * exchanges over a WebSocket to the object, or over HTTP where a WebSocket cannot be opened.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { ClockExchangeBody, ClockExchangeResponse, ClockReport, SessionLookup } from '../../contracts/api.ts';
import { CLOCK_PROTOCOL } from '../../contracts/clock-offset.ts';
import { requireApiKey, requireCandidate } from '../auth/middleware.ts';
import { verifyToken } from '../auth/tokens.ts';
import { answerExchange, RECEIPT_MISMATCH, receiptMatches } from '../clock/exchange.ts';
import { sessionClock } from '../clock/session-clock.ts';
import { tokenVerificationKeys } from '../env.ts';
import { ApiError } from '../http/errors.ts';
import { type AppEnv, createRouter, errorResponses, jsonBody, jsonResponse } from '../http/router.ts';
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

clock.openapi(
  createRoute({
    method: 'post',
    path: '/session/clock',
    summary: 'One clock-sync exchange (candidate token); the WebSocket at /session/clock/socket is preferred',
    security: [{ CandidateToken: [] }],
    middleware: [requireCandidate('clock')] as const,
    request: { body: jsonBody(ClockExchangeBody) },
    responses: {
      200: jsonResponse('Server time and its receipt', ClockExchangeResponse),
      204: { description: '`previous` alone: its sample is stored' },
      ...errorResponses(400, 401, 403, 413, 415),
    },
  }),
  async (c) => {
    const exchange = c.req.valid('json');
    const { tenantUuid, sessionUuid } = c.get('principal') as { tenantUuid: string; sessionUuid: string };
    await assertTenantActive(c, tenantUuid, sessionUuid);
    const secret = c.get('config').TOKEN_SIGNING_KEY;
    if (exchange.previous && !(await receiptMatches(secret, sessionUuid, exchange.previous))) {
      throw new ApiError('BAD_REQUEST', RECEIPT_MISMATCH);
    }
    const recorded = sessionClock(c.env, sessionUuid).record({ tenantUuid, sessionUuid }, exchange);
    if (exchange.t0 === undefined) {
      await recorded;
      return c.body(null, 204);
    }
    c.executionCtx.waitUntil(recorded);
    return c.json(await answerExchange(secret, sessionUuid, exchange.t0), 200);
  },
);

/**
 * The candidate token of a WebSocket upgrade. Browsers cannot set headers on a WebSocket (the constructor
 * takes a URL and subprotocols only), so the token is offered as a second subprotocol next to
 * CLOCK_PROTOCOL rather than put in the URL: URLs are kept in access logs, proxies and browser history, this
 * header is not, and the answer names CLOCK_PROTOCOL alone, so the token is not echoed either.
 */
async function socketCandidate(c: Context<AppEnv>) {
  const offered = (c.req.header('Sec-WebSocket-Protocol') ?? '').split(',').map((value) => value.trim());
  if (!offered.includes(CLOCK_PROTOCOL))
    throw new ApiError('BAD_REQUEST', `Offer the ${CLOCK_PROTOCOL} subprotocol`);
  const token = offered.find((value) => value !== CLOCK_PROTOCOL && value !== '');
  if (!token) throw new ApiError('UNAUTHORIZED', 'Missing candidate token (a second subprotocol)');
  const check = await verifyToken('ct1', token, tokenVerificationKeys(c.get('config')), new Date());
  if (!check.ok) throw new ApiError('UNAUTHORIZED', 'Invalid or expired candidate token');
  if (!check.claims.sc.includes('clock'))
    throw new ApiError('FORBIDDEN', 'Candidate token lacks the clock scope');
  return { tenantUuid: check.claims.t, sessionUuid: check.claims.s };
}

clock.get('/session/clock/socket', async (c) => {
  if (c.req.header('Upgrade')?.toLowerCase() !== 'websocket')
    throw new ApiError('BAD_REQUEST', 'Open this as a WebSocket (Upgrade: websocket)');
  const session = await socketCandidate(c);
  await assertTenantActive(c, session.tenantUuid, session.sessionUuid);
  const url = new URL('https://session-clock/socket');
  url.searchParams.set('tenant', session.tenantUuid);
  url.searchParams.set('session', session.sessionUuid);
  return sessionClock(c.env, session.sessionUuid).fetch(url, { headers: { Upgrade: 'websocket' } });
});

clock.openAPIRegistry.registerPath({
  method: 'get',
  path: '/session/clock/socket',
  summary: 'Clock-sync exchanges over a WebSocket (candidate token as a subprotocol)',
  description: `Open with subprotocols \`["${CLOCK_PROTOCOL}", <candidate token>]\`: browsers cannot set headers on a WebSocket, and a token in the URL would be logged. Each message is a ClockExchange and is answered with a ClockExchangeReply, or with \`{"recorded": true}\` when it carries \`previous\` alone; a bad message is answered with the error envelope and the socket stays open. The socket closes with 1008 within 30 s of the tenant's suspension.`,
  security: [{ CandidateToken: [] }],
  request: {
    headers: z.object({
      'Sec-WebSocket-Protocol': z.string().openapi({ example: `${CLOCK_PROTOCOL}, ct1.…` }),
    }),
  },
  responses: { 101: { description: 'Switching protocols' }, ...errorResponses(400, 401, 403, 404) },
});

clock.openapi(
  createRoute({
    method: 'get',
    path: '/session/clock',
    summary: 'The candidate clock offset over time, round trips and any clock jumps of a session',
    security: [{ ApiKey: [] }],
    middleware: [requireApiKey('session:read')] as const,
    request: { query: SessionLookup },
    responses: { 200: jsonResponse('Clock report', ClockReport), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const row = await sessionOf(c, lookupOf(c.req.valid('query')));
    return c.json(await sessionClock(c.env, row.uuid).report(), 200);
  },
);

export default clock;
