/** How a finalize tells its outcome: a status report to the Worker, and an event on the events queue. */
import type { FailureCode, FinalizeJob, SessionStatusReport } from '../../../contracts/jobs.ts';
import { sessionFailed, sessionProcessed } from '../../events.ts';
import { describeError } from '../../log.ts';
import { StatusReportRejectedError } from '../../report.ts';
import { sessionOf } from '../../storage/layout.ts';
import { type JobContext, PermanentJobError } from '../context.ts';

/** What a ready report says: where the recording plays from, and how long it lasts. */
export interface Ready {
  playback: SessionStatusReport['playback'] & {};
  durationMs: number;
  manifestKey: string;
}

/**
 * Reports the session ready (status to the Worker) and announces it (`session.processed`), once it is
 * playable: its playlists, or its slideshow MP4, and its manifest are written.
 */
export async function reportReady(ctx: JobContext, job: FinalizeJob, ready: Ready) {
  const report = { version: 1, tenant_uuid: job.tenant_uuid, session_uuid: job.session_uuid } as const;
  const { playback, durationMs } = ready;
  await ctx.reporter.status({ ...report, status: 'ready', playback, duration_ms: durationMs }, ctx.signal);
  await ctx.reporter.event(sessionProcessed(sessionOf(job), ready, ctx.now()));
}

/**
 * Reports the session failed: the status must reach the Worker (else this rejects, and the job is tried
 * again); the event is best effort. A Worker that no longer knows the session answers 404, and then no
 * attempt can ever report it. One whose session is ready answers 409: the recording plays, and what
 * failed came after (its storyboard or stitched video), so there is no failure to announce.
 */
export async function reportFailure(ctx: JobContext, job: FinalizeJob, code: FailureCode, reason: string) {
  const short = reason.slice(0, 1000);
  const report = { version: 1, tenant_uuid: job.tenant_uuid, session_uuid: job.session_uuid } as const;
  try {
    await ctx.reporter.status({ ...report, status: 'failed', failure_code: code, reason: short }, ctx.signal);
  } catch (error) {
    if (error instanceof StatusReportRejectedError && error.status === 404) {
      throw new PermanentJobError('the session no longer exists: the Worker does not know it', {
        cause: error,
      });
    }
    if (error instanceof StatusReportRejectedError && error.status === 409) {
      ctx.log.warn('the session is ready; the failure is not reported', { reason: short });
      return;
    }
    throw error;
  }
  try {
    await ctx.reporter.event(sessionFailed(sessionOf(job), short, ctx.now()));
  } catch (error) {
    ctx.log.error('could not publish session.failed', { error: describeError(error) });
  }
}
