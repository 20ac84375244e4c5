/** Processing at the attempt's end: the product design's `POST /session/process`, answered 200 with no body. */
import { createRoute } from '@hono/zod-openapi';
import { ProcessBody } from '../../contracts/api.ts';
import { requireApiKey } from '../auth/middleware.ts';
import { isoFromDatetime } from '../db/client.ts';
import { sessionDeletions } from '../db/deletions.ts';
import { claimFinalize, releaseFinalize } from '../db/sessions.ts';
import { ApiError } from '../http/errors.ts';
import { createRouter, errorResponses, jsonBody } from '../http/router.ts';
import { enqueueJob } from '../queue.ts';
import { sessionOf } from './session-access.ts';

const processing = createRouter();

/** Says what the call did, since the product design's answer is an empty 200 either way. */
export const FINALIZE_HEADER = 'X-IES-Finalize';

processing.openapi(
  createRoute({
    method: 'post',
    path: '/session/process',
    summary: 'Start processing at the attempt’s end (at most one finalize at a time)',
    security: [{ ApiKey: [] }],
    middleware: [requireApiKey('session:process')] as const,
    request: { body: jsonBody(ProcessBody) },
    responses: {
      200: {
        description: `Empty, as the product design answers. \`${FINALIZE_HEADER}\` says what happened: \`enqueued\` (a finalize job was enqueued), \`already-queued\` (one is queued or running) or \`ready\` (the session is processed; rebuild it with \`reprocess: true\`)`,
        headers: {
          [FINALIZE_HEADER]: {
            schema: { type: 'string', enum: ['enqueued', 'already-queued', 'ready'] },
          },
        },
      },
      ...errorResponses(400, 401, 403, 404, 409, 410, 413, 415, 503),
    },
  }),
  async (c) => {
    const { session_id, reprocess } = c.req.valid('json');
    const row = await sessionOf(c, { session_id });
    const db = c.get('db');
    if ((await sessionDeletions(db, row.tenant_uuid, row.uuid)).some((d) => d.scope === 'raw')) {
      throw new ApiError(
        'CONFLICT',
        'The raw chunks were deleted by retention: the session cannot be processed again',
      );
    }
    if (!(await claimFinalize(db, row.tenant_uuid, row.uuid, reprocess))) {
      c.header(FINALIZE_HEADER, row.status === 'ready' ? 'ready' : 'already-queued');
      return c.body(null, 200);
    }
    try {
      await enqueueJob(c.get('config'), {
        version: 1,
        type: 'finalize',
        tenant_uuid: row.tenant_uuid,
        session_uuid: row.uuid,
        requested_at: new Date().toISOString(),
        session_started_at: isoFromDatetime(row.created_at) ?? undefined,
        reprocess,
      });
    } catch (error) {
      await releaseFinalize(db, row.tenant_uuid, row.uuid, row.status);
      throw error;
    }
    c.header(FINALIZE_HEADER, 'enqueued');
    return c.body(null, 200);
  },
);

export default processing;
