/**
 * The `delete` job: remove a session's objects in the job's scope, in batches, in any state of the session
 * (a session still recording too), and report what was removed to the Worker. Idempotent: progress is kept
 * in the deletion marker, so a rerun removes what is left and counts on from there.
 *
 * Why no chunk or finalize job can leave an object behind: the marker of a whole-session deletion is
 * written before the listing, and those jobs look for it before they start and again after their last
 * write (`guardDeletedSession`). A job whose last write came before the marker wrote only objects the
 * listing sees; a job that finds the marker after its writes erases the session again itself. S3 reads
 * are strongly consistent after writes and lists (https://aws.amazon.com/s3/consistency/).
 */
import {
  DeletionProgress,
  type DeletionScope,
  deletionMarkerKey,
  inDeletionScope,
} from '../../contracts/deletion.ts';
import type { DeleteJob, Job } from '../../contracts/jobs.ts';
import { sessionPrefix } from '../../contracts/storage.ts';
import { type SessionRef, sessionOf } from '../storage/layout.ts';
import type { JobContext } from './context.ts';

/** S3 DeleteObjects takes at most 1000 keys per request; progress is saved after each. */
const BATCH = 1000;

/** Removes the objects of `scope` and reports the total removed over every run of this deletion. */
async function erase(ctx: JobContext, target: SessionRef & { scope: DeletionScope; deletionId: string }) {
  const marker = deletionMarkerKey(target.tenantId, target.sessionId, target.scope);
  const earlier = await ctx.storage.getJson(marker, DeletionProgress, ctx.signal);
  const progress: DeletionProgress =
    earlier?.deletion_id === target.deletionId
      ? earlier
      : { deletion_id: target.deletionId, objects_removed: 0, bytes_removed: 0 };
  await ctx.storage.putJson(marker, progress);
  const prefix = sessionPrefix(target.tenantId, target.sessionId);
  const objects = (await ctx.storage.list(prefix, ctx.signal)).filter((object) =>
    inDeletionScope(object.key, prefix, target.scope),
  );
  for (let i = 0; i < objects.length; i += BATCH) {
    const batch = objects.slice(i, i + BATCH);
    await ctx.storage.deleteKeys(
      batch.map((object) => object.key),
      ctx.signal,
    );
    progress.objects_removed += batch.length;
    progress.bytes_removed += batch.reduce((sum, object) => sum + object.size, 0);
    await ctx.storage.putJson(marker, progress);
    ctx.log.progress('delete', (i + batch.length) / objects.length, { objects: progress.objects_removed });
  }
  await ctx.reporter.deletion(
    {
      version: 1,
      tenant_uuid: target.tenantId,
      session_uuid: target.sessionId,
      deletion_id: target.deletionId,
      scope: target.scope,
      objects_removed: progress.objects_removed,
      bytes_removed: progress.bytes_removed,
    },
    ctx.signal,
  );
  ctx.log.info('session objects deleted', { scope: target.scope, ...progress, listed: objects.length });
}

/** Runs a delete job. */
export async function runDeleteJob(ctx: JobContext, job: DeleteJob): Promise<void> {
  await erase(ctx, { ...sessionOf(job), scope: job.scope, deletionId: job.deletion_id });
}

/** The whole-session deletion of the job's session, if one was made. */
function sessionDeletion(ctx: JobContext, job: Job) {
  return ctx.storage.getJson(
    deletionMarkerKey(job.tenant_uuid, job.session_uuid, 'session'),
    DeletionProgress,
    ctx.signal,
  );
}

/**
 * Runs `work` (a chunk or finalize job) unless its session was erased, and erases the session again when
 * the erasure happened while `work` ran, whether it succeeded or failed: a job of an erased session has
 * nothing left to retry for.
 */
export async function guardDeletedSession(
  ctx: JobContext,
  job: Job,
  work: () => Promise<void>,
): Promise<void> {
  if (await sessionDeletion(ctx, job)) {
    ctx.log.info('session erased; job skipped');
    return;
  }
  let failure: unknown = null;
  try {
    await work();
  } catch (error) {
    failure = error;
  }
  const deletion = await sessionDeletion(ctx, job);
  if (!deletion) {
    if (failure !== null) throw failure;
    return;
  }
  ctx.log.warn('session erased while the job ran; erasing what it wrote');
  await erase(ctx, { ...sessionOf(job), scope: 'session', deletionId: deletion.deletion_id });
}
