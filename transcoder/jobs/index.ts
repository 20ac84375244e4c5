/** Runs a job of any type with its handler, with a log line when it starts and when it ends. */
import { chunkOfJob, type Job } from '../../contracts/jobs.ts';
import { describeError } from '../log.ts';
import { jobDuration, jobsTotal, queueLag, realtimeFactor } from '../metrics.ts';
import { runChunkJob } from './chunk.ts';
import { runClipJob } from './clip.ts';
import { type JobContext, PermanentJobError } from './context.ts';
import { guardDeletedSession, runDeleteJob } from './delete.ts';
import { runFinalizeJob } from './finalize/index.ts';

/** What a runner (the queue consumer or the CLI) provides; the rest of the context is per job. */
export type JobServices = Pick<JobContext, 'storage' | 'reporter' | 'settings' | 'log' | 'media'>;

/** Facts of one run of a job. */
export interface JobRun {
  signal: AbortSignal;
  lastAttempt: boolean;
  /** Extra fields for every log line of the job (message id, attempt). */
  logFields?: Record<string, unknown>;
}

function dispatch(ctx: JobContext, job: Job): Promise<void> {
  switch (job.type) {
    case 'chunk':
      return guardDeletedSession(ctx, job, () => runChunkJob(ctx, job));
    case 'finalize':
      return guardDeletedSession(ctx, job, () => runFinalizeJob(ctx, job));
    case 'delete':
      return runDeleteJob(ctx, job);
    case 'clip':
      return guardDeletedSession(ctx, job, () => runClipJob(ctx, job));
  }
}

/** Runs one job; resolves when its work is complete and durable, rejects when it must be retried. */
export async function runJob(services: JobServices, job: Job, run: JobRun): Promise<void> {
  // A chunk job's key that is not a chunk fails in its handler; here it only goes without these figures.
  const chunk = job.type === 'chunk' ? chunkOfJob(job) : null;
  const log = services.log.child({
    jobType: job.type,
    tenantId: job.tenant_uuid,
    sessionId: job.session_uuid,
    ...(chunk ? { asset: chunk.asset, seq: chunk.seq } : {}),
    ...run.logFields,
  });
  const media = services.media.withLog(log);
  const started = Date.now();
  if (chunk) queueLag.observe((started - chunk.startMs - chunk.durationMs) / 1000);
  log.info('job started');
  const ended = (outcome: 'done' | 'failed' | 'permanent' | 'aborted') => {
    const seconds = (Date.now() - started) / 1000;
    jobsTotal.inc({ type: job.type, outcome });
    jobDuration.observe({ type: job.type }, seconds);
    if (outcome === 'done' && chunk && seconds > 0) realtimeFactor.observe(chunk.durationMs / 1000 / seconds);
  };
  try {
    await dispatch(
      { ...services, log, media, signal: run.signal, lastAttempt: run.lastAttempt, now: Date.now },
      job,
    );
    ended('done');
    log.info('job done', { elapsedMs: Date.now() - started });
  } catch (error) {
    ended(run.signal.aborted ? 'aborted' : error instanceof PermanentJobError ? 'permanent' : 'failed');
    log.error('job failed', {
      elapsedMs: Date.now() - started,
      error: describeError(error),
      aborted: run.signal.aborted,
      lastAttempt: run.lastAttempt,
    });
    throw error;
  }
}
