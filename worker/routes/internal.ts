/**
 * The transcoder's channel back: it reports finalize and delete outcomes here, since the Worker owns the
 * sessions and deletion_audit tables.
 */
import { createRoute } from '@hono/zod-openapi';
import { DeletionReport, SessionStatusReport } from '../../contracts/jobs.ts';
import { requireSecret } from '../auth/middleware.ts';
import { applyDeletionReport } from '../db/deletions.ts';
import { applyStatusReport } from '../db/sessions.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter, errorResponses, jsonBody } from '../http/router.ts';
import { playablePath } from '../playback/urls.ts';

const internal = createRouter();
internal.use('*', requireSecret('INTERNAL_TOKEN'));

internal.openapi(
  createRoute({
    method: 'post',
    path: '/session-status',
    summary: 'The transcoder reports a finalized or failed session',
    security: [{ InternalToken: [] }],
    request: { body: jsonBody(SessionStatusReport) },
    responses: { 204: { description: 'Recorded' }, ...errorResponses(400, 401, 404, 413, 415) },
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
    if (!(await applyStatusReport(c.get('db'), report))) throw new ApiError('NOT_FOUND', 'No such session');
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
    if (!(await applyDeletionReport(c.get('db'), c.req.valid('json')))) {
      throw new ApiError('NOT_FOUND', 'No such deletion');
    }
    return c.body(null, 204);
  },
);

export default internal;
