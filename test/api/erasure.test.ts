/**
 * Erasure through the API (no transcoder in this project: the delete jobs are read off the queue and their
 * reports sent as the transcoder would): the tombstone, 410 everywhere else, the deletion report, the
 * `session:delete` scope, tenant isolation, and erasing a whole tenant.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createConnection } from 'mysql2/promise';
import { beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../contracts/jobs.ts';
import {
  admin,
  call,
  candidateToken,
  drainQueue,
  newSession,
  newTenant,
  sqs,
  stack,
  type TestTenant,
} from './support.ts';

const drainJobs = () => drainQueue(stack.sqs.jobsQueueUrl, (body) => Job.parse(body));

const reportDeletion = (report: Record<string, unknown>) =>
  call('POST', '/internal/deletion-report', {
    headers: { Authorization: `Bearer ${stack.internalToken}` },
    json: { version: 1, ...report },
  });

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await newTenant({
    scopes: ['session:create', 'session:read', 'session:upload', 'session:process', 'session:delete'],
  });
  await drainJobs();
});

describe('DELETE /session', () => {
  it('tombstones the session, enqueues one delete job, and records the report the transcoder sends', async () => {
    const { sessionId, uniqueIdentifier } = await newSession(tenant);
    const token = await candidateToken(tenant, sessionId);
    const noted = await call('POST', '/session/events', {
      headers: { Authorization: `Bearer ${token}` },
      json: {
        events: [
          {
            type: 'page_hidden',
            occurred_at_ms: Date.now(),
            severity: 'warning',
            details: {},
            idempotency_key: 'k1',
          },
        ],
      },
    });
    expect(noted.status).toBeLessThan(300);
    const reply = await tenant.as('DELETE', `/session?session_id=${sessionId}`);
    expect(reply.status).toBe(202);
    const { deletion_id } = reply.body as { deletion_id: string };
    expect(reply.body).toMatchObject({ session_id: sessionId, status: 'deleted' });
    const jobs = (await drainJobs()).filter((job) => job.session_uuid === sessionId);
    expect(jobs).toEqual([
      expect.objectContaining({ type: 'delete', scope: 'session', deletion_id, tenant_uuid: tenant.uuid }),
    ]);
    // And the same deletion again once every upload policy issued before it has expired: S3 cannot revoke a
    // policy, so chunks can land after the first sweep. SQS holds it back (DelaySeconds), unseen until then.
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: stack.sqs.jobsQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessagesDelayed'],
      }),
    );
    expect(Number(Attributes?.ApproximateNumberOfMessagesDelayed)).toBeGreaterThanOrEqual(1);

    const read = await tenant.as('GET', `/session?unique_identifier=${uniqueIdentifier}`);
    expect(read.body).toMatchObject({
      status: 'deleted',
      playback: null,
      deletion: { completed_at: null, objects_removed: null },
    });
    const gone = [
      await tenant.as('DELETE', `/session?session_id=${sessionId}`),
      await tenant.as('POST', '/session/process', { session_id: sessionId }),
      await tenant.as('POST', '/session/candidate-token', { session_id: sessionId }),
      await tenant.as('GET', `/session/presigned-policy?session_id=${sessionId}`),
      await tenant.as('POST', '/session', { unique_identifier: uniqueIdentifier, session_metadata: {} }),
      await call('GET', '/session/presigned-policy', { headers: { Authorization: `Bearer ${token}` } }),
    ];
    expect(gone.map((r) => r.status)).toEqual([410, 410, 410, 410, 410, 410]);

    const report = { tenant_uuid: tenant.uuid, session_uuid: sessionId, deletion_id, scope: 'session' };
    expect((await reportDeletion({ ...report, objects_removed: 7, bytes_removed: 1234 })).status).toBe(204);
    const proof = await tenant.as('GET', `/session/deletion-report?session_id=${sessionId}`);
    expect(proof.body).toEqual({
      session_id: sessionId,
      status: 'deleted',
      deletions: [
        {
          deletion_id,
          scope: 'session',
          reason: 'request',
          requested_by: { kind: 'api_key', api_key_id: tenant.apiKeyId },
          requested_at: expect.any(String),
          completed_at: expect.any(String),
          objects_removed: 7,
          bytes_removed: 1234,
        },
      ],
    });
    expect((await tenant.as('GET', `/session?session_id=${sessionId}`)).body).toMatchObject({
      deletion: { objects_removed: 7, bytes_removed: 1234, completed_at: expect.any(String) },
    });
    const unknown = { ...report, deletion_id: crypto.randomUUID(), objects_removed: 0, bytes_removed: 0 };
    expect((await reportDeletion(unknown)).status).toBe(404);
    // The session's integrity events went with it.
    const db = await createConnection(stack.mysql.rootUrl);
    try {
      const [rows] = await db.query('SELECT COUNT(*) AS n FROM integrity_events WHERE session_uuid = ?', [
        sessionId,
      ]);
      expect(Number((rows as { n: number }[])[0]?.n)).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('a finalize report arriving after the deletion leaves the tombstone alone', async () => {
    const { sessionId } = await newSession(tenant);
    await tenant.as('DELETE', `/session?session_id=${sessionId}`);
    const late = await call('POST', '/internal/session-status', {
      headers: { Authorization: `Bearer ${stack.internalToken}` },
      json: { version: 1, tenant_uuid: tenant.uuid, session_uuid: sessionId, status: 'failed', reason: 'x' },
    });
    expect(late.status).toBe(204);
    expect((await tenant.as('GET', `/session?session_id=${sessionId}`)).body).toMatchObject({
      status: 'deleted',
      failure: null,
    });
    await drainJobs();
  });

  it('needs the session:delete scope, which keys get only when asked for', async () => {
    const plain = await newTenant();
    const { sessionId } = await newSession(plain);
    const denied = await plain.as('DELETE', `/session?session_id=${sessionId}`);
    expect(denied.status).toBe(403);
    const keys = await admin('GET', `/tenants/${plain.uuid}/api-keys`);
    const [key] = (keys.body as { api_keys: Array<{ scopes: string[] }> }).api_keys;
    expect(key?.scopes).not.toContain('session:delete');
  });

  it("another tenant's session is a 404, and stays as it was", async () => {
    const { sessionId } = await newSession(tenant);
    const other = await newTenant({ scopes: ['session:delete', 'session:read'] });
    expect((await other.as('DELETE', `/session?session_id=${sessionId}`)).status).toBe(404);
    expect((await other.as('GET', `/session/deletion-report?session_id=${sessionId}`)).status).toBe(404);
    expect((await tenant.as('GET', `/session?session_id=${sessionId}`)).body).toMatchObject({
      status: 'created',
    });
  });
});

describe('DELETE /admin/tenants/:uuid', () => {
  it('revokes the keys, makes the tenant inactive and deletes every session, each with a job', async () => {
    const doomed = await newTenant();
    const sessions = [await newSession(doomed), await newSession(doomed)];
    const reply = await admin('DELETE', `/tenants/${doomed.uuid}`);
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({ tenant_uuid: doomed.uuid, sessions_deleted: 2 });
    expect((await doomed.as('GET', `/session?session_id=${sessions[0]?.sessionId}`)).status).toBe(401);
    expect((await admin('GET', `/tenants/${doomed.uuid}`)).body).toMatchObject({ status: 'inactive' });
    const jobs = (await drainJobs()).filter((job) => job.tenant_uuid === doomed.uuid);
    expect(jobs.map((job) => [job.type, job.session_uuid]).sort()).toEqual(
      sessions.map((s) => ['delete', s.sessionId]).sort(),
    );
    expect((await admin('DELETE', `/tenants/${crypto.randomUUID()}`)).status).toBe(404);
  });
});
