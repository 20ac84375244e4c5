/**
 * The transcoder's channel back: it reports finalize and delete outcomes and its events here, since the
 * Worker owns the sessions, deletion_audit and webhook tables.
 */
import { createRoute } from '@hono/zod-openapi';
import { DeletionReport, ServiceEvent, SessionStatusReport } from '../../contracts/jobs.ts';
import { requireSecret } from '../auth/middleware.ts';
import { applyDeletionReport } from '../db/deletions.ts';
import { applyStatusReport, findSession } from '../db/sessions.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter, errorResponses, jsonBody } from '../http/router.ts';
import { playablePath } from '../playback/urls.ts';
import { publishWebhookEvent, requestPublishContext } from '../webhooks/publish.ts';

const internal = createRouter();
internal.use('*', requireSecret('INTERNAL_TOKEN'));

internal.openapi(
  createRoute({
    method: 'post',
    path: '/session-status',
    summary: 'The transcoder reports a finalized or failed session',
    description:
      'A failure report for a session that is ready is refused with 409: the recording plays, and the failure (of its storyboard or stitched video, or of an attempt a later one superseded) does not replace it.',
    security: [{ InternalToken: [] }],
    request: { body: jsonBody(SessionStatusReport) },
    responses: { 204: { description: 'Recorded' }, ...errorResponses(400, 401, 404, 409, 413, 415) },
  }),
  async (c) => {
    const report = c.req.valid('json');
    if (report.status === 'ready' && !report.playback) {
      throw new ApiError('BAD_REQUEST', 'a ready report needs playback');
    }
    if (
      report.playback &&
      playablePath(report.playback.key, report.tenant_uuid, report.session_uuid) === null
    ) {
      throw new ApiError('BAD_REQUEST', 'playback.key must be under the session’s <asset>/processed/ folder');
    }
    const outcome = await applyStatusReport(c.get('db'), report);
    if (outcome === 'no_session') throw new ApiError('NOT_FOUND', 'No such session');
    if (outcome === 'kept_ready') {
      throw new ApiError('CONFLICT', 'The session is ready; a failure report does not replace its recording');
    }
    return c.body(null, 204);
  },
);

internal.openapi(
  createRoute({
    method: 'post',
    path: '/deletion-report',
    summary: 'The transcoder reports what a delete job removed',
    security: [{ InternalToken: [] }],
    request: { body: jsonBody(DeletionReport) },
    responses: { 204: { description: 'Recorded' }, ...errorResponses(400, 401, 404, 413, 415) },
  }),
  async (c) => {
    const report = c.req.valid('json');
    if (!(await applyDeletionReport(c.get('db'), report))) {
      throw new ApiError('NOT_FOUND', 'No such deletion');
    }
    if (report.scope === 'session') {
      // One event per deletion, however often its job reports: the deletion id makes the event.
      await publishWebhookEvent(requestPublishContext(c), {
        type: 'session.deleted',
        tenantUuid: report.tenant_uuid,
        sessionUuid: report.session_uuid,
        occurredAt: new Date().toISOString(),
        data: {
          deletion_id: report.deletion_id,
          objects_removed: report.objects_removed,
          bytes_removed: report.bytes_removed,
        },
        identity: report.deletion_id,
      });
    }
    return c.body(null, 204);
  },
);

internal.openapi(
  createRoute({
    method: 'post',
    path: '/events',
    summary: 'The transcoder reports an event it published, for the tenant’s webhooks',
    description:
      'The same event reported again (the transcoder retries) is delivered once per endpoint. An event of a deleted session is accepted and delivered to no one.',
    security: [{ InternalToken: [] }],
    request: { body: jsonBody(ServiceEvent) },
    responses: { 204: { description: 'Recorded' }, ...errorResponses(400, 401, 404, 413, 415) },
  }),
  async (c) => {
    const event = c.req.valid('json');
    const session = await findSession(c.get('db'), event.tenant_uuid, { session_id: event.session_uuid });
    if (!session) throw new ApiError('NOT_FOUND', 'No such session');
    if (session.status === 'deleted') return c.body(null, 204);
    const { version: _, type, tenant_uuid, session_uuid, occurred_at, ...data } = event;
    await publishWebhookEvent(requestPublishContext(c), {
      type,
      tenantUuid: tenant_uuid,
      sessionUuid: session_uuid,
      occurredAt: occurred_at,
      data,
      identity: JSON.stringify(event),
    });
    return c.body(null, 204);
  },
);

export default internal;
