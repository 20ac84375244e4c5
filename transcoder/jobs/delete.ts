/** The `delete` job: remove every object of a session (retention, or a tenant's request). Idempotent. */
import type { DeleteJob } from '../../contracts/jobs.ts';
import { sessionPrefix } from '../../contracts/storage.ts';
import type { JobContext } from './context.ts';

/** Runs a delete job. */
export async function runDeleteJob(ctx: JobContext, job: DeleteJob): Promise<void> {
  const deleted = await ctx.storage.deletePrefix(
    sessionPrefix(job.tenant_uuid, job.session_uuid),
    ctx.signal,
  );
  ctx.log.info('session deleted', { objects: deleted });
}
