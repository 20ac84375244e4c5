/**
 * A session's integrity events: posted in batches by the tenant's server (any type) or by the candidate's
 * recorder (only its own signals), written by the session's clock object (clock changes, recording gaps),
 * and read back by the tenant in timeline order, a page at a time.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Client } from '@planetscale/database';
import { cors } from 'hono/cors';
import {
  CANDIDATE_EVENT_TYPES,
  EventList,
  EventsQuery,
  PostEventsBody,
  PostEventsResponse,
} from '../../contracts/api.ts';
import { requireApiKey, requireApiKeyOrCandidate } from '../auth/middleware.ts';
import { type EventPosition, type EventRow, insertEvents, listEvents } from '../db/events.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter, errorResponses, jsonBody, jsonResponse } from '../http/router.ts';
import { assertTenantActive, sessionOf } from './session-access.ts';

const events = createRouter();

/** The recorder posts its signals from the candidate's page; reading them back is for the tenant's server. */
events.on(
  ['POST', 'OPTIONS'],
  '/session/events',
  cors({
    origin: '*',
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  }),
);

const apiKeyOrCandidate: Array<Record<string, string[]>> = [{ ApiKey: [] }, { CandidateToken: [] }];
const CANDIDATE_TYPES: ReadonlySet<string> = new Set(CANDIDATE_EVENT_TYPES);

/** A page's end as `<occurred_at_ms>_<id>`; opaque to clients, who only send it back. */
const cursorOf = (row: EventRow) => `${row.occurred_at_ms}_${row.id}`;

function positionOf(cursor: string | undefined): EventPosition | null {
  if (cursor === undefined) return null;
  const match = /^(\d{1,13})_(\d{1,20})$/.exec(cursor);
  if (!match) throw new ApiError('BAD_REQUEST', 'cursor: not a next_cursor this API gave');
  return { occurredAtMs: Number(match[1]), id: match[2] ?? '0' };
}

events.openapi(
  createRoute({
    method: 'post',
    path: '/session/events',
    summary: 'Record a batch of integrity events (1 to 100); a bad item rejects the whole batch',
    description: `With a tenant key (\`events:write\`), any type, for the session named by \`session_id\`. With a candidate token, the token's session and only the recorder's own signals: ${CANDIDATE_EVENT_TYPES.join(', ')}. An idempotency key the session already has from the same source is ignored.`,
    security: apiKeyOrCandidate,
    middleware: [requireApiKeyOrCandidate('events:write', 'events')] as const,
    request: { body: jsonBody(PostEventsBody) },
    responses: {
      200: jsonResponse('How many were stored and how many were already there', PostEventsResponse),
      ...errorResponses(400, 401, 403, 404, 413, 415),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const principal = c.get('principal');
    let sessionUuid: string;
    if (principal.kind === 'candidate') {
      if (body.session_id !== undefined && body.session_id !== principal.sessionUuid)
        throw new ApiError('FORBIDDEN', 'The candidate token is for another session');
      const foreign = body.events.findIndex((event) => !CANDIDATE_TYPES.has(event.type));
      if (foreign >= 0) {
        throw new ApiError(
          'BAD_REQUEST',
          `events.${foreign}.type: a candidate token posts only ${CANDIDATE_EVENT_TYPES.join(', ')}`,
        );
      }
      await assertTenantActive(c, principal.tenantUuid, principal.sessionUuid);
      sessionUuid = principal.sessionUuid;
    } else {
      if (body.session_id === undefined)
        throw new ApiError('BAD_REQUEST', 'session_id: required with a tenant key');
      sessionUuid = (await sessionOf(c, { session_id: body.session_id })).uuid;
    }
    const stored = await insertEvents(
      c.get('db'),
      body.events.map((event) => ({
        tenantUuid: principal.tenantUuid,
        sessionUuid,
        source: principal.kind === 'candidate' ? 'candidate' : 'tenant',
        type: event.type,
        severity: event.severity,
        occurredAtMs: event.occurred_at_ms,
        details: event.details,
        idempotencyKey: event.idempotency_key,
      })),
    );
    return c.json({ stored, duplicates: body.events.length - stored }, 200);
  },
);

events.openapi(
  createRoute({
    method: 'get',
    path: '/session/events',
    summary:
      'A session’s integrity events in timeline order (occurred_at_ms, then arrival), a page at a time',
    security: [{ ApiKey: [] }],
    middleware: [requireApiKey('session:read')] as const,
    request: { query: EventsQuery },
    responses: { 200: jsonResponse('A page of events', EventList), ...errorResponses(400, 401, 403, 404) },
  }),
  async (c) => {
    const query = c.req.valid('query');
    const row = await sessionOf(c, { session_id: query.session_id });
    return c.json(await eventPage(c.get('db'), row.tenant_uuid, row.uuid, query), 200);
  },
);

/**
 * One page of a session's events in timeline order, as the API shows them: read by the tenant here and by
 * a player holding the session's playback token (`routes/playback.ts`).
 */
export async function eventPage(
  db: Pick<Client, 'execute'>,
  tenantUuid: string,
  sessionUuid: string,
  query: { cursor?: string | undefined; limit: number },
) {
  const rows = await listEvents(db, tenantUuid, sessionUuid, positionOf(query.cursor), query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    events: page.map((event) => ({
      event_id: String(event.id),
      type: event.type,
      source: event.source,
      severity: event.severity,
      occurred_at_ms: Number(event.occurred_at_ms),
      details: event.details,
      idempotency_key: event.idempotency_key,
    })),
    next_cursor: rows.length > query.limit && last ? cursorOf(last) : null,
  };
}

export default events;
