/**
 * Retention on the stack's database and queue: the scheduled run's core (`enforceRetention`), called as of
 * a chosen `now`, deletes exactly the sessions past the tenant's retention — whole sessions past
 * processed_days, raw chunks of ready sessions past raw_days — and a second run deletes nothing more.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Job } from '../../contracts/jobs.ts';
import { databaseClient } from '../../worker/db/client.ts';
import { type Bindings, configFrom } from '../../worker/env.ts';
import { enforceRetention } from '../../worker/erasure.ts';
import { admin, drainQueue, errorOf, newSession, newTenant, sql, stack, type TestTenant } from './support.ts';

const drainJobs = () => drainQueue(stack.sqs.jobsQueueUrl, (body) => Job.parse(body));

/** The Worker's configuration for the stack, as wrangler dev gets it. */
const config = configFrom({
  DATABASE_URL: stack.mysql.url,
  ADMIN_TOKEN: stack.adminToken,
  INTERNAL_TOKEN: stack.internalToken,
  TOKEN_SIGNING_KEY: stack.tokenSigningKey,
  AWS_ACCESS_KEY_ID: stack.s3.accessKeyId,
  AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey,
  AWS_REGION: stack.s3.region,
  S3_BUCKET: stack.s3.bucket,
  S3_ENDPOINT: stack.s3.endpoint,
  SQS_ENDPOINT: stack.sqs.endpoint,
  JOBS_QUEUE_URL: stack.sqs.jobsQueueUrl,
  PUBLIC_BASE_URL: stack.apiBase,
} as unknown as Bindings);
const db = databaseClient(config.DATABASE_URL);

/** A session of `tenant` created `days` ago, in `status`. */
async function sessionAged(tenant: TestTenant, days: number, status: string) {
  const { sessionId } = await newSession(tenant);
  await sql('UPDATE sessions SET status = ?, created_at = UTC_TIMESTAMP() - INTERVAL ? HOUR WHERE uuid = ?', [
    status,
    Math.round(days * 24),
    sessionId,
  ]);
  return sessionId;
}

let tenant: TestTenant;
beforeAll(async () => {
  tenant = await newTenant();
  const retention = { raw_days: 1, processed_days: 3, reports_days: 3, archive_after_days: null };
  expect((await admin('PATCH', `/tenants/${tenant.uuid}`, { config: { retention } })).status).toBe(200);
  await drainJobs();
});

describe('tenant retention config', () => {
  it('is validated when stored', async () => {
    const reply = await admin('PATCH', `/tenants/${tenant.uuid}`, {
      config: { retention: { raw_days: 10, processed_days: 5 } },
    });
    expect(reply.status).toBe(400);
    expect(errorOf(reply).message).toMatch(/retention\.raw_days/);
  });
});

describe('the scheduled retention run', () => {
  it('deletes exactly what is past retention, once', async () => {
    const fresh = await sessionAged(tenant, 0.5, 'ready');
    const rawDue = await sessionAged(tenant, 1.5, 'ready');
    const notReady = await sessionAged(tenant, 1.5, 'recording');
    const sessionDue = await sessionAged(tenant, 3.5, 'recording');
    const now = new Date();

    await enforceRetention(db, config, now);
    const jobs = (await drainJobs()).filter((job) => job.tenant_uuid === tenant.uuid);
    expect(jobs.map((job) => job.type === 'delete' && [job.session_uuid, job.scope]).sort()).toEqual(
      [
        [rawDue, 'raw'],
        [sessionDue, 'session'],
      ].sort(),
    );
    const read = async (id: string) =>
      ((await tenant.as('GET', `/session?session_id=${id}`)).body as { status: string }).status;
    expect([await read(fresh), await read(rawDue), await read(notReady), await read(sessionDue)]).toEqual([
      'ready',
      'ready',
      'recording',
      'deleted',
    ]);
    const report = await tenant.as('GET', `/session/deletion-report?session_id=${rawDue}`);
    expect(report.body).toMatchObject({
      deletions: [{ scope: 'raw', reason: 'retention', requested_by: { kind: 'retention' } }],
    });

    await enforceRetention(db, config, now);
    expect((await drainJobs()).filter((job) => job.tenant_uuid === tenant.uuid)).toEqual([]);

    // A day later the fresh session's raw chunks are due too, and nothing else.
    await enforceRetention(db, config, new Date(now.getTime() + 86_400_000));
    const later = (await drainJobs()).filter((job) => job.tenant_uuid === tenant.uuid);
    expect(later.map((job) => job.type === 'delete' && [job.session_uuid, job.scope])).toEqual([
      [fresh, 'raw'],
    ]);
  });

  it('a ready session whose raw chunks were deleted cannot be processed again', async () => {
    const id = await sessionAged(tenant, 2, 'ready');
    await enforceRetention(db, config, new Date());
    await drainJobs();
    const reply = await tenant.as('POST', '/session/process', { session_id: id, reprocess: true });
    expect(reply.status).toBe(409);
  });
});
