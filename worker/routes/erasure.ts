/**
 * Erasure on a tenant's request: `DELETE /session` makes the session a tombstone at once (every endpoint
 * but GET /session and the deletion report answers 410 for it) and enqueues the job that removes its
 * objects; `GET /session/deletion-report` is the proof of what was removed, when, and at whose request.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  DeletionReportResponse,
  DeletionRequested,
  SessionQuery,
  SessionRequest,
} from '../../contracts/api.ts';
import { requireApiKey } from '../auth/middleware.ts';
import {
  type DeletionRow,
  deletionOutcome,
  requestSessionDeletion,
  sessionDeletions,
} from '../db/deletions.ts';
import { dispatchDeletions } from '../erasure.ts';
import { ApiError } from '../http/errors.ts';
import { type AppEnv, createRouter, errorResponses, jsonResponse } from '../http/router.ts';
import { forgetGate, lookupOf, parsed, queryWithBody, sessionOf } from './session-access.ts';

const erasure = createRouter();
const apiKey = [{ ApiKey: [] }];

/** The session a request names in its query or JSON body, deleted or not. */
async function namedSession(c: Context<AppEnv>) {
  return sessionOf(c, lookupOf(parsed(SessionRequest, await queryWithBody(c))), { deleted: 'allow' });
}

/** A deletion as the report shows it. */
export function deletionView(row: DeletionRow) {
  return {
    deletion_id: row.uuid,
    scope: row.scope,
    reason: row.reason,
    requested_by: {
      kind: row.api_key_uuid ? 'api_key' : row.reason === 'retention' ? 'retention' : 'admin',
      api_key_id: row.api_key_uuid,
    } as const,
    ...deletionOutcome(row),
  };
}

erasure.openapi(
  createRoute({
    method: 'delete',
    path: '/session',
    summary: 'Delete a session: every object of it, in any state, and its metadata',
    description:
      'The lookup goes in query parameters or a JSON body, as for GET /session. The session becomes a tombstone at once: GET /session says `deleted` (and, once its objects are removed, how many), every other endpoint answers 410, and its unique_identifier cannot be used again. Needs the `session:delete` scope, which keys get only when issued with it.',
    security: apiKey,
    middleware: [requireApiKey('session:delete')] as const,
    request: { query: SessionQuery },
    responses: {
      202: jsonResponse('Deleted; its objects are being removed', DeletionRequested),
      ...errorResponses(400, 401, 403, 404, 410, 503),
    },
  }),
  async (c) => {
    const row = await namedSession(c);
    const principal = c.get('principal');
    const db = c.get('db');
    const requested =
      principal.kind === 'api_key' &&
      (await requestSessionDeletion(db, {
        tenantUuid: row.tenant_uuid,
        sessionUuid: row.uuid,
        apiKeyUuid: principal.apiKeyUuid,
      }));
    if (!requested) throw new ApiError('GONE', 'The session is already deleted');
    forgetGate(row.tenant_uuid, row.uuid);
    const deletions = (await sessionDeletions(db, row.tenant_uuid, row.uuid)).filter(
      (deletion) => deletion.scope === 'session',
    );
    // The deletion is recorded; a job that cannot be sent now is sent by the next scheduled run.
    await dispatchDeletions(db, c.get('config'), deletions).catch((error: unknown) => {
      console.error(JSON.stringify({ level: 'error', msg: 'delete job not enqueued', error: String(error) }));
    });
    return c.json(
      { session_id: row.uuid, deletion_id: deletions[0]?.uuid ?? '', status: 'deleted' as const },
      202,
    );
  },
);

erasure.openapi(
  createRoute({
    method: 'get',
    path: '/session/deletion-report',
    summary: 'What was deleted of a session, when, and at whose request',
    security: apiKey,
    middleware: [requireApiKey('session:read')] as const,
    request: { query: SessionQuery },
    responses: {
      200: jsonResponse('The session’s deletions', DeletionReportResponse),
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const row = await namedSession(c);
    const deletions = await sessionDeletions(c.get('db'), row.tenant_uuid, row.uuid);
    return c.json({ session_id: row.uuid, status: row.status, deletions: deletions.map(deletionView) }, 200);
  },
);

export default erasure;
