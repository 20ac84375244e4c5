/** How a finalize tells its outcome: a status report to the Worker, and an event on the events queue. */
import type { FailureCode, FinalizeJob, SessionStatusReport } from '../../../contracts/jobs.ts';
import { describeError } from '../../log.ts';
import { StatusReportRejectedError } from '../../report.ts';
import { type JobContext, PermanentJobError } from '../context.ts';

/**
 * Reports the session ready (status to the Worker) and announces it (`session.processed`): the last step
 * of every finalize, once every output is written.
 */
export async function reportReady(
  ctx: JobContext,
  job: FinalizeJob,
  ready: { playback: SessionStatusReport['playback'] & {}; durationMs: number; manifestKey: string },
) {
  const ids = { version: 1, tenant_uuid: job.tenant_uuid, session_uuid: job.session_uuid } as const;
  const { playback, durationMs } = ready;
  await ctx.reporter.status({ ...ids, status: 'ready', playback, duration_ms: durationMs }, ctx.signal);
  await ctx.reporter.event({
    ...ids,
    type: 'session.processed',
    occurred_at: new Date(ctx.now()).toISOString(),
    playback,
    duration_ms: durationMs,
    manifest_key: ready.manifestKey,
  });
}

/**
 * Reports the session failed: the status must reach the Worker (else this rejects, and the job is tried
 * again); the event is best effort. A Worker that no longer knows the session answers 404, and then no
 * attempt can ever report it.
 */
export async function reportFailure(ctx: JobContext, job: FinalizeJob, code: FailureCode, reason: string) {
  const ids = { version: 1, tenant_uuid: job.tenant_uuid, session_uuid: job.session_uuid } as const;
  const short = reason.slice(0, 1000);
  try {
    await ctx.reporter.status({ ...ids, status: 'failed', failure_code: code, reason: short }, ctx.signal);
  } catch (error) {
    if (error instanceof StatusReportRejectedError && error.status === 404) {
      throw new PermanentJobError('the session no longer exists: the Worker does not know it', {
        cause: error,
      });
    }
    throw error;
  }
  try {
    await ctx.reporter.event({
      ...ids,
      type: 'session.failed',
      occurred_at: new Date(ctx.now()).toISOString(),
      reason: short,
    });
  } catch (error) {
    ctx.log.error('could not publish session.failed', { error: describeError(error) });
  }
}
