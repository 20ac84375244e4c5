/**
 * Carrying out deletions: enqueueing the `delete` jobs of recorded deletions, and the scheduled retention
 * run (cron trigger, `[triggers]` in wrangler.toml) that records the deletions each tenant's retention asks
 * for. Time is passed in, so a test can run retention as of any moment.
 */
import type { Client } from '@planetscale/database';
import { retentionCutoffs, retentionOf } from '../contracts/deletion.ts';
import {
  claimDispatch,
  type DeletionRow,
  pendingDeletions,
  releaseDispatch,
  requestRetentionDeletions,
} from './db/deletions.ts';
import { listTenants } from './db/tenants.ts';
import type { Config } from './env.ts';
import { enqueueJob } from './queue.ts';

/**
 * Per run and scope: each deletion costs a few queries and an SQS send, and a Worker invocation has a
 * bounded number of subrequests (https://developers.cloudflare.com/workers/platform/limits/#subrequests).
 * At one run every 15 minutes, that is 9600 deletions a day per scope; the rest wait for the next run.
 */
export const RETENTION_BATCH = 100;

/** After the last upload policy's expiry, how long an upload it allowed may still take to land. */
const LATE_UPLOAD_MARGIN_SECONDS = 60;

/** Enqueues the delete jobs of these deletions, each by one caller per lease; returns how many it sent. */
export async function dispatchDeletions(db: Client, config: Config, deletions: DeletionRow[]) {
  let sent = 0;
  for (const deletion of deletions) {
    if (!(await claimDispatch(db, deletion.uuid))) continue;
    try {
      const job = {
        version: 1,
        type: 'delete',
        tenant_uuid: deletion.tenant_uuid,
        session_uuid: deletion.session_uuid,
        requested_at: new Date().toISOString(),
        scope: deletion.scope,
        deletion_id: deletion.uuid,
      } as const;
      await enqueueJob(config, job);
      if (deletion.scope === 'session') {
        // An upload policy issued before the deletion stays valid for its lifetime and S3 cannot revoke it,
        // so a candidate still recording can add chunks after the first sweep; the same deletion runs again
        // once every such policy has expired (it counts on from its progress marker).
        await enqueueJob(config, job, config.UPLOAD_POLICY_TTL_SECONDS + LATE_UPLOAD_MARGIN_SECONDS);
      }
      sent++;
    } catch (error) {
      await releaseDispatch(db, deletion.uuid);
      throw error;
    }
  }
  return sent;
}

/**
 * One retention run as of `now`: records the deletions every tenant's retention asks for (bounded per
 * tenant and scope) and enqueues the jobs of pending deletions, those just recorded and any whose job was
 * lost or could not be sent. Idempotent: a deletion is recorded once and enqueued once per lease.
 */
export async function enforceRetention(db: Client, config: Config, now: Date) {
  for (const tenant of await listTenants(db)) {
    await requestRetentionDeletions(
      db,
      tenant.uuid,
      retentionCutoffs(retentionOf(tenant.config), now),
      RETENTION_BATCH,
    );
  }
  return { enqueued: await dispatchDeletions(db, config, await pendingDeletions(db, RETENTION_BATCH)) };
}
